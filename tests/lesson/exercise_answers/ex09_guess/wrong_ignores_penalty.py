# Wrong: the penalty for a wrong answer is ignored.
# Message: the penalty is ignored
def expected_score(p_correct, wrong_penalty=0.0, abstain=False):
    return 0.0 if abstain else p_correct


def break_even_confidence(wrong_penalty):
    return wrong_penalty / (1 + wrong_penalty)
