# Right: computed in float32 whatever the inputs' dtype.
import torch.nn.functional as F


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    pc, pr, rc, rr = (x.float() for x in (policy_chosen, policy_rejected, ref_chosen, ref_rejected))
    return -F.logsigmoid(beta * (pc - rc) - beta * (pr - rr)).mean()
