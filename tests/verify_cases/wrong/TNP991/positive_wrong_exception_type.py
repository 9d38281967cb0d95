# witness: raises TypeError: At least one stride
# fix: none
# note: ValueError is raised, not TypeError
import numpy as np
import torch

buf = bytearray(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8)[::-1])  # error: TNP991
