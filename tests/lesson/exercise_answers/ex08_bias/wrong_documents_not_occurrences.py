# Wrong: counts the texts that mention an option, not how often it occurs.
# Message: count every occurrence
import re

import numpy as np
import pandas as pd


def data_share(texts, options, prefix):
    counts = pd.Series(
        {o: sum(bool(re.search(re.escape(prefix + o) + r"(?![\w.])", t)) for t in texts) for o in options},
        dtype=float,
    )
    return counts / counts.sum()


def preference_share(logprobs):
    s = pd.Series(logprobs, dtype=float)
    w = np.exp(s - s.max())
    return w / w.sum()
