# Wrong: beta multiplies the policy terms only.
# Message: beta multiplies the policy terms only
import torch.nn.functional as F


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    margin = (beta * policy_chosen - ref_chosen) - (beta * policy_rejected - ref_rejected)
    return -F.logsigmoid(margin).mean()
