# Wrong: log(sigmoid(m)), which underflows to log(0) for large negative margins.
# Message: use logsigmoid
import torch


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    margin = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    return -torch.log(torch.sigmoid(margin)).mean()
