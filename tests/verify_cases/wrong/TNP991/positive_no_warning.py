# witness: warns UserWarning: not writable
# fix: none
# note: a writable array does not warn
import numpy as np
import torch

buf = bytearray(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP991
