# Wrong: the right value, returned with .item(): a float that cannot be back-propagated.
# Message: 0-d torch tensor
import torch.nn.functional as F


def next_token_loss(logits, token_ids):
    vocab = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, vocab), token_ids[:, 1:].reshape(-1)).item()


def perplexity(loss):
    return 2.718281828459045 ** float(loss)
