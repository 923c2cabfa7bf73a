# Right: duplicates by hash, the most common line's share, letters and spaces vs everything else.
import hashlib
from collections import Counter


def curate(texts):
    hashes, keep = set(), []
    for text in texts:
        digest = hashlib.sha1(text.encode()).hexdigest()
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        top_share = Counter(lines).most_common(1)[0][1] / len(lines) if lines else 1.0
        ordinary = sum(ch.isalnum() or ch.isspace() or ch in "()[]:.,=_'\"+-*/" for ch in text)
        ok = len(text) > 100 and top_share < 0.3 and ordinary / len(text) > 0.85
        keep.append(ok and digest not in hashes)
        hashes.add(digest)
    return keep
