# Wrong: \b alone counts "import os.path" as os.
# Message: followed by a dot
import re

import numpy as np
import pandas as pd


def data_share(texts, options, prefix):
    counts = pd.Series(
        {o: sum(len(re.findall(re.escape(prefix + o) + r"\b", t)) for t in texts) for o in options}, dtype=float
    )
    return counts / counts.sum()


def preference_share(logprobs):
    s = pd.Series(logprobs, dtype=float)
    w = np.exp(s - s.max())
    return w / w.sum()
