# witness: raises ValueError: some other message
# fix: none
# note: the message does not contain the fragment
import numpy as np
import torch

buf = bytearray(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8)[::-1])  # error: TNP991
