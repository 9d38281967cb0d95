# witness: hazard t.dtype == torch.uint8
# fix: unsafe
# fix-check: removes-hazard
# note: the witness still holds after the fix
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8).copy())  # error: TNP990
t[0] = 42
