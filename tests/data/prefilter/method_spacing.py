import numpy as onp
import torch as th

w = th.zeros(3, requires_grad=True)
out = (w * 2) . numpy ()
dev = th.ones(3, device="cuda")
host = (dev.  # a comment inside the chain
        numpy())
val = float(th.ones(3).cpu () . numpy ())
cpu_first = (w * 3).cpu ().detach ()
p = th.nn.Parameter(th.ones(3))
p . data[0] = 1.0
