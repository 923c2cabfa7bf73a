# Right: a hand-made stable log(1 + exp(-m)), no logsigmoid.
import torch


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    m = beta * (policy_chosen - ref_chosen) - beta * (policy_rejected - ref_rejected)
    losses = torch.clamp(-m, min=0) + torch.log1p(torch.exp(-torch.abs(m)))
    return losses.sum() / m.numel()
