# Right: str.find in a loop, checking the character after each match by hand.
import math

import pandas as pd


def data_share(texts, options, prefix):
    counts = {}
    for option in options:
        needle, n = prefix + option, 0
        for text in texts:
            start = text.find(needle)
            while start != -1:
                after = text[start + len(needle): start + len(needle) + 1]
                if after == "" or not (after.isalnum() or after in ("_", ".")):
                    n += 1
                start = text.find(needle, start + 1)
        counts[option] = n
    total = sum(counts.values())
    return pd.Series({o: c / total for o, c in counts.items()})


def preference_share(logprobs):
    weights = {o: math.exp(lp) for o, lp in logprobs.items()}
    total = sum(weights.values())
    return pd.Series({o: w / total for o, w in weights.items()})
