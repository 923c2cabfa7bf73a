# Right: NumPy, which also works on arrays of confidences.
import numpy as np


def expected_score(p_correct, wrong_penalty=0.0, abstain=False):
    p = np.asarray(p_correct, dtype=float)
    return np.where(abstain, 0.0, p - (1 - p) * wrong_penalty)


def break_even_confidence(wrong_penalty):
    return np.float64(wrong_penalty) / (wrong_penalty + 1)
