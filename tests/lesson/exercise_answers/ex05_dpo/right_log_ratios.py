# Right: the log-ratios of policy to reference first, as the DPO paper writes it.
import torch


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    chosen_logratio = policy_chosen - ref_chosen
    rejected_logratio = policy_rejected - ref_rejected
    logits = chosen_logratio - rejected_logratio
    return torch.mean(-torch.nn.functional.logsigmoid(beta * logits))
