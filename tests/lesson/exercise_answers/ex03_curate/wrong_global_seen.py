# Wrong: the set of seen texts lives outside the function, so it remembers earlier calls.
# Message: earlier call
seen = set()


def curate(texts):
    keep = []
    for text in texts:
        lines = [line for line in text.splitlines() if line.strip()]
        odd = sum(ch in "#$%&@^~`|\\{}<>" for ch in text) / max(1, len(text))
        repeated = 1 - len(set(lines)) / max(1, len(lines))
        keep.append(len(text) >= 40 and odd < 0.08 and repeated < 0.5 and text not in seen)
        seen.add(text)
    return keep
