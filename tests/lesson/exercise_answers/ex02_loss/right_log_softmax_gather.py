# Right: log_softmax over the vocabulary, gather the next tokens, minus the mean.
def next_token_loss(logits, token_ids):
    log_probs = logits.log_softmax(dim=-1)[:, :-1]                 # (B, T-1, V)
    nxt = token_ids[:, 1:].long().unsqueeze(-1)                      # (B, T-1, 1)
    return -log_probs.gather(-1, nxt).mean()


def perplexity(loss):
    return 2.718281828459045 ** float(loss)
