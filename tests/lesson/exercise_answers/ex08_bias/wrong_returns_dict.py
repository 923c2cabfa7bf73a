# Wrong: returns plain dicts instead of pandas Series.
# Message: return a pandas Series
import math
import re


def data_share(texts, options, prefix):
    counts = {o: sum(len(re.findall(re.escape(prefix + o) + r"(?![\w.])", t)) for t in texts) for o in options}
    total = sum(counts.values())
    return {o: c / total for o, c in counts.items()}


def preference_share(logprobs):
    w = {o: math.exp(v) for o, v in logprobs.items()}
    return {o: x / sum(w.values()) for o, x in w.items()}
