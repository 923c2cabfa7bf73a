# Wrong: base-2 logarithm (bits) instead of the natural logarithm.
# Message: log base 2
import torch


def next_token_loss(logits, token_ids):
    log_p = torch.log2(torch.softmax(logits[:, :-1], dim=-1))
    return -log_p.gather(-1, token_ids[:, 1:].unsqueeze(-1)).mean()


def perplexity(loss):
    return 2 ** float(loss)
