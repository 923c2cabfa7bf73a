# Wrong: abstaining is charged the penalty.
# Message: abstaining should score 0
def expected_score(p_correct, wrong_penalty=0.0, abstain=False):
    if abstain:
        return -wrong_penalty
    return p_correct - (1 - p_correct) * wrong_penalty


def break_even_confidence(wrong_penalty):
    return wrong_penalty / (1 + wrong_penalty)
