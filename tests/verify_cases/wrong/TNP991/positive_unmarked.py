# witness: hazard buf[0] == 42
# fix: none
# note: the marker is on the wrong line
import numpy as np  # error: TNP991
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))
t[0] = 42
