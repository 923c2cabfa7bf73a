# Wrong: options that never occur are left out of the Series.
# Message: never occur
import re
from collections import Counter

import numpy as np
import pandas as pd


def data_share(texts, options, prefix):
    found = Counter()
    for t in texts:
        for o in options:
            found[o] += len(re.findall(re.escape(prefix + o) + r"(?![\w.])", t))
    s = pd.Series({o: n for o, n in found.items() if n}, dtype=float)
    return s / s.sum()


def preference_share(logprobs):
    s = pd.Series(logprobs, dtype=float)
    w = np.exp(s - s.max())
    return w / w.sum()
