# witness: hazard buf[0] == 42
# fix: unsafe
# fix-check: equivalent
# observe: t.tolist(); int(buf[0])
# note: the fix changes what buf holds
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP990
t[0] = 42
