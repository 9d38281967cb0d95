"""A small training/eval script with the boundary bugs tensorferry finds."""

import numpy as np
import torch
from torch import nn

device = "cuda" if torch.cuda.is_available() else "cpu"


class Net(nn.Module):
    def __init__(self, n_in: int, n_classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 64), nn.ReLU(), nn.Linear(64, n_classes))

    def forward(self, x):
        return self.body(x)


def load_data(n: int = 256, n_in: int = 8):
    features = np.random.rand(n, n_in).astype(np.float32)
    labels = np.random.randint(0, 3, size=n)  # int64 class ids
    x = torch.from_numpy(features)
    y = torch.Tensor(labels)  # float32 labels: cross_entropy wants int64
    return x, y


def train(model: Net, x, y, epochs: int = 2):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        opt.zero_grad()
        logits = model(x.to(device))
        loss = nn.functional.cross_entropy(logits, y.long().to(device))
        loss.backward()
        opt.step()


def evaluate(model: Net, x):
    model.eval()
    logits = model(x.to(device))  # no torch.no_grad(): the output requires grad
    probs = logits.softmax(-1)
    kept = probs.cpu().detach()
    return probs.numpy(), kept


def normalise(batch: np.ndarray):
    t = torch.from_numpy(batch)
    batch -= batch.mean(axis=0)  # t shares batch's memory: it changes too
    return t


def export_embeddings(features: np.ndarray):
    encoder = nn.Linear(features.shape[1], 4).to(device)
    with torch.no_grad():
        emb = encoder(torch.from_numpy(features).to(device))
    return emb.numpy()  # fine on a CPU-only machine, TypeError on a GPU machine


if __name__ == "__main__":
    x, y = load_data()
    model = Net(8, 3).to(device)
    train(model, x, y)
    print(evaluate(model, x)[0][:3])
