# witness: raises ValueError: At least one stride in the given numpy array is negative
# fix: unsafe
# fix-check: removes-hazard
import numpy as np
import torch

buf = bytearray(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8)[::-1].copy())  # error: TNP990
