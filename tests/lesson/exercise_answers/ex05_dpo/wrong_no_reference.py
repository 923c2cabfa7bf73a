# Wrong: the reference model's log-probabilities are ignored.
# Message: reference log-probabilities are left out
import torch.nn.functional as F


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    return -F.logsigmoid(beta * (policy_chosen - policy_rejected)).mean()
