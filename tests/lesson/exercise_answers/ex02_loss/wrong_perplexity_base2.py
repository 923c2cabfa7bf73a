# Wrong: the loss is right, perplexity is 2 ** loss instead of e ** loss.
# Message: e \*\* loss
import torch.nn.functional as F


def next_token_loss(logits, token_ids):
    vocab = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, vocab), token_ids[:, 1:].reshape(-1))


def perplexity(loss):
    return 2 ** float(loss)
