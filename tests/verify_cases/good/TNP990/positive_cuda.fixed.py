# devices: cuda
# witness: warns UserWarning: not writable
# fix: unsafe
# fix-check: removes-hazard
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8).copy()).to("cuda")  # error: TNP990
