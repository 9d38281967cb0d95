def to_host(x):
    return x.cuda() . numpy()


def grab(t):
    t.requires_grad_()
    return t.cpu().detach()
