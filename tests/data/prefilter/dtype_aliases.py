import numpy as np
import torch

h = torch.ones(3, dtype=torch.bfloat16)
print(np.asarray(h))
o = np.array(["a", "b"], dtype=object)
t = torch.as_tensor(o)
