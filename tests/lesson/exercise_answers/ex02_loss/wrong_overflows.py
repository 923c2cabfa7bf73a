# Wrong: softmax by hand without subtracting the maximum: overflows on large logits.
# Message: overflow
import torch


def next_token_loss(logits, token_ids):
    x = logits[:, :-1]
    probs = torch.exp(x) / torch.exp(x).sum(-1, keepdim=True)
    return -torch.log(probs.gather(-1, token_ids[:, 1:].unsqueeze(-1))).mean()


def perplexity(loss):
    return 2.718281828459045 ** float(loss)
