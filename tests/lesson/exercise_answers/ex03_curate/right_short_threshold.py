# Right: a low length bar (20 characters), symbols counted as non-ASCII-letter punctuation.
import string


def curate(texts):
    first_seen = {}
    decisions = []
    for i, text in enumerate(texts):
        first_seen.setdefault(text, i)
        body = [ln for ln in text.split("\n") if ln.strip()]
        repeats = (len(body) - len(set(body))) / len(body) if body else 1
        rare = sum(1 for ch in text if ch in string.punctuation and ch not in "()[]{}:.,'\"=_-+*/#@%") / len(text)
        symbols = sum(1 for ch in text if ch in "$&^~`|\\<>") / len(text)
        decisions.append(first_seen[text] == i and len(text) >= 20 and repeats <= 0.4
                         and symbols + rare < 0.04)
    return decisions
