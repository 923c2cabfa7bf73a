# Wrong: one loss per sequence, not the mean over every position.
# Message: 0-d torch tensor
import torch


def next_token_loss(logits, token_ids):
    x = logits[:, :-1]
    per_position = torch.logsumexp(x, -1) - x.gather(-1, token_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    return per_position.mean(dim=1)


def perplexity(loss):
    return torch.exp(loss)
