# Wrong: rejected minus chosen.
# Message: sign of the margin
import torch.nn.functional as F


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    margin = beta * ((policy_rejected - ref_rejected) - (policy_chosen - ref_chosen))
    return -F.logsigmoid(margin).mean()
