# witness: hazard buf[0] == 42
# fix: none
# note: outlives the timeout the test sets
import time

import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP991
t[0] = 42
time.sleep(60)
