# witness: hazard undefined_name > 0
# fix: none
# note: the hazard expression cannot be evaluated
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP991
t[0] = 42
