# Wrong: minus the raw logit of the right token, without the log of the softmax's denominator.
# Message: log-sum-exp
def next_token_loss(logits, token_ids):
    return -logits[:, :-1].gather(-1, token_ids[:, 1:].unsqueeze(-1)).mean()


def perplexity(loss):
    return 2.718281828459045 ** float(loss)
