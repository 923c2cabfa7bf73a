# Wrong: the penalty weighted by the chance of being right instead of wrong.
# Message: chance of a wrong answer
def expected_score(p_correct, wrong_penalty=0.0, abstain=False):
    return 0.0 if abstain else p_correct - p_correct * wrong_penalty


def break_even_confidence(wrong_penalty):
    return wrong_penalty / (1 + wrong_penalty)
