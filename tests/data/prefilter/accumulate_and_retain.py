import torch
import torch.nn as nn

model = nn.Linear(4, 1)
kept = []
total = 0
for _ in range(3):
    out = model(torch.randn(2, 4)).sum()
    total += out
    kept.append(out.to("cpu"))
