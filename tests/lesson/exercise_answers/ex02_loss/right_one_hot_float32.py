# Right: one-hot targets, computed in float32 whatever the logits' dtype.
import torch
import torch.nn.functional as F


def next_token_loss(logits, token_ids):
    x = logits[:, :-1].float()
    targets = F.one_hot(token_ids[:, 1:].long(), num_classes=x.shape[-1]).float()
    picked = (x * targets).sum(dim=-1)
    return torch.mean(torch.logsumexp(x, dim=-1) - picked)


def perplexity(loss):
    return torch.tensor(float(loss), dtype=torch.float32).exp()
