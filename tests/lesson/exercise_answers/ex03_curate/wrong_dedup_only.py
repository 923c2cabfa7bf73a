# Wrong: exact deduplication only, no quality heuristics.
# Message: 'noise' documents \(encoding junk\) dropped
def curate(texts):
    seen, keep = set(), []
    for text in texts:
        keep.append(text not in seen)
        seen.add(text)
    return keep
