# Wrong: exact deduplication only, no quality heuristics.
# Message: noise|repeat|short
def curate(texts):
    seen, keep = set(), []
    for text in texts:
        keep.append(text not in seen)
        seen.add(text)
    return keep
