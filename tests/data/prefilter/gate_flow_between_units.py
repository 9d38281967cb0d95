import torch
import torch.nn as nn

model = nn.Linear(4, 2)
moved = model(torch.randn(1, 4)).cpu()


def keep(store):
    store.append(moved)


def train(batches, opt):
    total = 0
    for b in batches:
        loss = model(b).sum()
        loss.backward()
        total += loss
    return total
