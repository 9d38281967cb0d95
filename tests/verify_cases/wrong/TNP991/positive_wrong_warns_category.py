# witness: warns DeprecationWarning: not writable
# fix: none
# note: the warning is a UserWarning
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP991
t[0] = 42
