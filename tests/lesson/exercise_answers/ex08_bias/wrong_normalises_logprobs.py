# Wrong: divides the log-probabilities by their sum instead of taking a softmax.
# Message: exponentiates first
import re

import pandas as pd


def data_share(texts, options, prefix):
    counts = pd.Series(
        {o: sum(len(re.findall(re.escape(prefix + o) + r"(?![\w.])", t)) for t in texts) for o in options},
        dtype=float,
    )
    return counts / counts.sum()


def preference_share(logprobs):
    s = pd.Series(logprobs, dtype=float)
    return s / s.sum()
