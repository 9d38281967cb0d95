import torch

w = torch.randn(3, requires_grad=True)
copy = torch.tensor(w)
pair = torch.tensor([w, w])
fine = torch.tensor([1.0, 2.0])
