# Wrong: the right value wrapped in a new tensor, cut off from the gradient.
# Message: cut off from the gradient
import torch
import torch.nn.functional as F


def next_token_loss(logits, token_ids):
    vocab = logits.shape[-1]
    value = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), token_ids[:, 1:].reshape(-1))
    return torch.tensor(value.item())


def perplexity(loss):
    return 2.718281828459045 ** float(loss)
