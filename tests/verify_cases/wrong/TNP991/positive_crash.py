# witness: hazard True
# fix: none
# note: the process dies before reporting
import os
import signal

import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP991
os.kill(os.getpid(), signal.SIGKILL)
