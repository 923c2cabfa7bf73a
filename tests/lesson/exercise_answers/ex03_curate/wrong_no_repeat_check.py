# Wrong: deduplication, length and symbols, but pages that repeat one line are kept.
# Message: 'repeat' documents \(pages that repeat one line\) dropped
def curate(texts):
    seen, keep = set(), []
    for text in texts:
        odd = sum(ch in "#$%&@^~`|\\{}<>" for ch in text) / max(1, len(text))
        keep.append(len(text) >= 40 and odd < 0.08 and text not in seen)
        seen.add(text)
    return keep
