# Wrong: drops every copy of a duplicated text, the first one too.
# Message: first copy
from collections import Counter


def curate(texts):
    counts = Counter(texts)
    keep = []
    for text in texts:
        lines = [line for line in text.splitlines() if line.strip()]
        odd = sum(ch in "#$%&@^~`|\\{}<>" for ch in text) / max(1, len(text))
        repeated = 1 - len(set(lines)) / max(1, len(lines))
        keep.append(len(text) >= 40 and odd < 0.08 and repeated < 0.5 and counts[text] == 1)
    return keep
