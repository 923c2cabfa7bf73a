# Wrong: returns the indices of the kept documents instead of one True/False per document.
# Message: one True/False per document
def curate(texts):
    seen, kept = set(), []
    for i, text in enumerate(texts):
        lines = [line for line in text.splitlines() if line.strip()]
        odd = sum(ch in "#$%&@^~`|\\{}<>" for ch in text) / max(1, len(text))
        repeated = 1 - len(set(lines)) / max(1, len(lines))
        if len(text) >= 40 and odd < 0.08 and repeated < 0.5 and text not in seen:
            kept.append(i)
        seen.add(text)
    return kept
