# Right: capture the dotted name after the prefix and compare it whole; torch softmax (float32).
import re
from collections import Counter

import pandas as pd
import torch


def data_share(texts, options, prefix):
    found = Counter()
    for text in texts:
        found.update(re.findall(re.escape(prefix) + r"([\w.]+)", text))
    counts = pd.Series([found[o] for o in options], index=list(options), dtype=float)
    return counts / counts.sum()


def preference_share(logprobs):
    names = list(logprobs)
    probs = torch.softmax(torch.tensor([logprobs[n] for n in names]), dim=0)
    return pd.Series(probs.numpy(), index=names)
