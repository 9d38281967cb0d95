from numpy import asarray as arr
from torch import nn

layer = nn.Linear(3, 3)
weights = arr(layer.weight)
