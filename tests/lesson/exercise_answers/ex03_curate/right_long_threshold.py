# Right: a "tiny fragment" is anything under 200 characters; otherwise as the lesson suggests.
def curate(texts):
    seen, keep = set(), []
    for text in texts:
        lines = [line for line in text.splitlines() if line.strip()]
        odd = sum(ch in "#$%&@^~`|\\{}<>" for ch in text) / max(1, len(text))
        repeated = 1 - len(set(lines)) / max(1, len(lines))
        keep.append(len(text) >= 200 and odd < 0.1 and repeated < 0.5 and text not in seen)
        seen.add(text)
    return keep
