# Right: F.cross_entropy on the shifted, flattened tensors; perplexity with torch.exp.
import torch
import torch.nn.functional as F


def next_token_loss(logits, token_ids):
    vocab = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, vocab), token_ids[:, 1:].reshape(-1))


def perplexity(loss):
    return torch.exp(torch.as_tensor(loss)).item()
