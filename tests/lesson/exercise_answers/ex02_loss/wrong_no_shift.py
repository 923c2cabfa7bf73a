# Wrong: position t scored against the token at t, not t + 1.
# Message: t \+ 1
import torch.nn.functional as F


def next_token_loss(logits, token_ids):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), token_ids.reshape(-1))


def perplexity(loss):
    return 2.718281828459045 ** float(loss)
