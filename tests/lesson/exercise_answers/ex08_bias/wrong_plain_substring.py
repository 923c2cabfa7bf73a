# Wrong: counts plain substrings, so "import os" also counts os.path and ossaudiodev.
# Message: match whole words only
import numpy as np
import pandas as pd


def data_share(texts, options, prefix):
    counts = pd.Series({o: sum(t.count(prefix + o) for t in texts) for o in options}, dtype=float)
    return counts / counts.sum()


def preference_share(logprobs):
    s = pd.Series(logprobs, dtype=float)
    w = np.exp(s - s.max())
    return w / w.sum()
