# Wrong: returns a Python float, which training cannot call .backward() on.
# Message: return a scalar tensor
import torch.nn.functional as F


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    margin = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    return float(-F.logsigmoid(margin).mean())
