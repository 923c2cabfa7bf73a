# Wrong: perplexity as exp(-loss).
# Message: exp\(loss\), not exp\(-loss\)
import math

import torch.nn.functional as F


def next_token_loss(logits, token_ids):
    vocab = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, vocab), token_ids[:, 1:].reshape(-1))


def perplexity(loss):
    return math.exp(-float(loss))
