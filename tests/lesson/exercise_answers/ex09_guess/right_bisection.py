# Right: the break-even point found numerically, by bisection on the expected score.
def expected_score(p_correct, wrong_penalty=0.0, abstain=False):
    if abstain:
        return 0.0
    outcomes = [(p_correct, 1.0), (1 - p_correct, -wrong_penalty)]
    return sum(prob * score for prob, score in outcomes)


def break_even_confidence(wrong_penalty):
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        if expected_score(mid, wrong_penalty) > 0:
            high = mid
        else:
            low = mid
    return high
