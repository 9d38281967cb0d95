import numpy
from torch import from_numpy as fn, tensor as tt

a = numpy.zeros((3, 3), dtype=numpy.float32)
t = fn(a)
a += 1
print(t)
b = numpy.arange(10)[::-1]
u = fn(b)
g = tt(t)
