# witness: hazard buf[0] == 42
# note: the hazard is present in a negative case
import numpy as np
import torch

buf = bytearray(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8).copy())
buf[0] = 42
