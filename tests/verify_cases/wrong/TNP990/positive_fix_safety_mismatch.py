# witness: hazard buf[0] == 42
# fix: safe
# fix-check: removes-hazard
# note: the rule's fix is unsafe, the header says safe
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP990
t[0] = 42
