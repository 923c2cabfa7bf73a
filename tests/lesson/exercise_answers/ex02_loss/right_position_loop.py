# Right: a Python loop over positions, each loss a torch scalar, stacked at the end.
import math

import torch


def next_token_loss(logits, token_ids):
    losses = []
    B, T, _ = logits.shape
    for b in range(B):
        for t in range(T - 1):
            row = logits[b, t]
            top = row.max()
            log_z = top + torch.log(torch.exp(row - top).sum())
            losses.append(log_z - row[int(token_ids[b, t + 1])])
    return torch.stack(losses).mean()


def perplexity(loss):
    return math.exp(loss)
