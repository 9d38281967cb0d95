# witness: hazard False
# note: the rule reports this negative
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))
t[0] = 42
