# Right: case-insensitive whole-word regex with \b and no dot after; NumPy softmax.
import re

import numpy as np
import pandas as pd


def data_share(texts, options, prefix):
    joined = "\n".join(texts)
    counts = pd.Series(
        {o: len(re.findall(re.escape(prefix + o) + r"\b(?!\.)", joined, flags=re.IGNORECASE)) for o in options}
    )
    return counts / counts.sum()


def preference_share(logprobs):
    values = np.array(list(logprobs.values()), dtype=float)
    p = np.exp(values) / np.exp(values).sum()
    return pd.Series(p, index=list(logprobs.keys()))
