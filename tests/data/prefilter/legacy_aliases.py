import numpy as np
import torch as T
from torch import FloatTensor as FT

a = np.zeros(3, dtype=np.float32)
Ctor = T.Tensor
x = Ctor(a)
y = FT(a)
Pair, _ = T.LongTensor, None
z = Pair(a)
for C in [T.Tensor]:
    w = C(a)
if (D := T.cuda.FloatTensor):
    v = D(a)
s = (T.Tensor)(5)
