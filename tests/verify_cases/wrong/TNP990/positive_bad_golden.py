# witness: hazard buf[0] == 42
# fix: unsafe
# note: the golden file is not what the fix produces
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP990
t[0] = 42
