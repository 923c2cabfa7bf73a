# Wrong: shifted the wrong way (scores at t+1 against the token at t).
# Message: t \+ 1
import torch.nn.functional as F


def next_token_loss(logits, token_ids):
    return F.cross_entropy(logits[:, 1:].reshape(-1, logits.shape[-1]), token_ids[:, :-1].reshape(-1))


def perplexity(loss):
    return 2.718281828459045 ** float(loss)
