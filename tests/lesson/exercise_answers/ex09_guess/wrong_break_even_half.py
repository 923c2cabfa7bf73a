# Wrong: "answer when more likely right than wrong", whatever the penalty.
# Message: only when a wrong answer costs 1
def expected_score(p_correct, wrong_penalty=0.0, abstain=False):
    return 0.0 if abstain else p_correct - (1 - p_correct) * wrong_penalty


def break_even_confidence(wrong_penalty):
    return 0.5
