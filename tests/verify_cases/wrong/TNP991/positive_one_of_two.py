# witness: hazard buf[0] == 42
# witness: raises RuntimeError: boom
# fix: none
# note: one witness holds, the other does not
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP991
t[0] = 42
