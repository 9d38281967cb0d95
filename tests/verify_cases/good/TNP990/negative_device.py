# devices: cpu, cuda
# witness: warns UserWarning: not writable
# note: runs on every device; the harness names the device in TENSORFERRY_DEVICE
import os

import numpy as np
import torch

device = os.environ["TENSORFERRY_DEVICE"]
a = np.arange(4, dtype=np.float32)
t = torch.from_numpy(a).to(device)
assert t.device.type == device
