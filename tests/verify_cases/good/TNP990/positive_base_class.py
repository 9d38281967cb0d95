# witness: raises Exception: At least one stride
# witness: raises builtins.ValueError: negative
# fix: unsafe
# fix-check: removes-hazard
# note: an exception matches its own class name, a base class name, or a qualified name
import numpy as np
import torch

buf = bytearray(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8)[::-1])  # error: TNP990
