# witness: hazard buf[0] == 42
# fix: unsafe
# fix-check: removes-hazard
# note: the fixed snippet raises
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8).copy())  # error: TNP990
t[0] = 42
if buf[0] != 42:
    raise RuntimeError("the write did not reach buf")
