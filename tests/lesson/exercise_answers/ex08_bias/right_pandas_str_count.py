# Right: pandas' str.count over the texts; a log-sum-exp normaliser.
import math
import re

import pandas as pd


def data_share(texts, options, prefix):
    column = pd.Series(list(texts), dtype=str)
    counts = pd.Series(
        {o: int(column.str.count(re.escape(prefix + o) + r"(?=[^\w.]|$)").sum()) for o in options},
        dtype=float,
    )
    return counts.div(counts.sum())


def preference_share(logprobs):
    s = pd.Series(logprobs, dtype=float)
    log_z = s.max() + math.log(sum(math.exp(v - s.max()) for v in s))
    return (s - log_z).apply(math.exp)
