# Wrong: the value is right but rebuilt as a new tensor, cut off from the gradient.
# Message: cut off from the gradient
import torch
import torch.nn.functional as F


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    margin = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    return torch.tensor(-F.logsigmoid(margin).mean().item())
