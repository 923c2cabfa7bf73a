# Wrong: break-even as 1 / (1 + penalty).
# Message: that is 1 / \(1 \+ penalty\)
def expected_score(p_correct, wrong_penalty=0.0, abstain=False):
    return 0.0 if abstain else p_correct - (1 - p_correct) * wrong_penalty


def break_even_confidence(wrong_penalty):
    return 1 / (1 + wrong_penalty)
