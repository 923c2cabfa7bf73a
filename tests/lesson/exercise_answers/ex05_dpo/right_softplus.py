# Right: -log(sigmoid(m)) written as softplus(-m).
import torch.nn.functional as F


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    margin = beta * ((policy_chosen - policy_rejected) - (ref_chosen - ref_rejected))
    return F.softplus(-margin).mean()
