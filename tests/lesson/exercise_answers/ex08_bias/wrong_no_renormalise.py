# Wrong: exponentiates the log-probabilities but does not renormalise over the options.
# Message: renormalise over the options
import re

import numpy as np
import pandas as pd


def data_share(texts, options, prefix):
    counts = pd.Series(
        {o: sum(len(re.findall(re.escape(prefix + o) + r"(?![\w.])", t)) for t in texts) for o in options},
        dtype=float,
    )
    return counts / counts.sum()


def preference_share(logprobs):
    return np.exp(pd.Series(logprobs, dtype=float))
