# witness: warns UserWarning: The given NumPy array is not writable
# witness: hazard buf[0] == 42
# fix: unsafe
# fix-check: removes-hazard, equivalent
# observe: t.tolist(); t.dtype; t.shape
# note: a write through the tensor reaches an immutable bytes object
import numpy as np
import torch

buf = bytes(range(4))
t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8))  # error: TNP990
t[0] = 42
