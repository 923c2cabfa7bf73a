# Wrong: keeps the last copy of a duplicate instead of the first.
# Message: keep the first copy
def curate(texts):
    last = {text: i for i, text in enumerate(texts)}
    keep = []
    for i, text in enumerate(texts):
        lines = [line for line in text.splitlines() if line.strip()]
        odd = sum(ch in "#$%&@^~`|\\{}<>" for ch in text) / max(1, len(text))
        repeated = 1 - len(set(lines)) / max(1, len(lines))
        keep.append(len(text) >= 40 and odd < 0.08 and repeated < 0.5 and last[text] == i)
    return keep
