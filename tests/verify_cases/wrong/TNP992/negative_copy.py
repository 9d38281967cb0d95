# witness: warns UserWarning: not writable
# witness: hazard buf[0] == 42
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8).copy())
t[0] = 42
