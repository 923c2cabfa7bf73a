# Right: pandas string methods, duplicated() for the later copies.
import pandas as pd


def curate(texts):
    s = pd.Series(list(texts), dtype=object)
    junk = s.str.count(r"[#$%&@^~`|\\{}<>]") / s.str.len().clip(lower=1)
    lines = s.str.split("\n")
    repeat = lines.map(lambda ls: 1 - len(set(ls)) / max(1, len(ls)))
    good = (s.str.len() >= 64) & (junk < 0.05) & (repeat < 0.6)
    return (good & ~s.duplicated(keep="first")).tolist()
