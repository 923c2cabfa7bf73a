# Wrong: the last position is scored too, against the first token (torch.roll wraps around).
# Message: last position
import torch
import torch.nn.functional as F


def next_token_loss(logits, token_ids):
    targets = torch.roll(token_ids, shifts=-1, dims=1)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def perplexity(loss):
    return 2.718281828459045 ** float(loss)
