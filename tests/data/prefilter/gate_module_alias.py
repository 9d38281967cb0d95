import numpy as np
import torch

m = torch
make = m.Tensor
a = np.zeros(3, dtype=np.float32)
x = make(a)
ctors = {"float": torch.FloatTensor}
y = ctors["float"](a)
