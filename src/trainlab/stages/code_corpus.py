"""The real code corpus of the lab: an excerpt of the Python standard library's own source.

The excerpt ships compressed in ``trainlab/data/stdlib_excerpt.jsonl.xz`` (one JSON record per
file: ``path``, ``domain``, ``text``) with the PSF licence note beside it
(``trainlab/data/PSF_LICENSE.txt``); :func:`build_code_excerpt` regenerates it from a local
CPython 3.11 install. Two domains let the coverage experiment vary one library's share:
``general`` (modules such as argparse, difflib, dataclasses) and ``asyncio``.

This module also makes the *bad* data the quality experiments need: :func:`corrupt_text`
(the kinds of damage a crawl collects: shuffled lines, mangled characters, truncation) and
:func:`load_curation_documents`, held-out documents labelled keep/drop for the curation exercise.

Example:
    >>> docs = load_code_corpus("asyncio")
    >>> docs[0]["path"], len(docs[0]["text"]) > 0
"""
import json
import lzma
import random
import sysconfig
from pathlib import Path

DATA_DIR = Path(__file__).parent.parent / "data"
EXCERPT_PATH = DATA_DIR / "stdlib_excerpt.jsonl.xz"

CODE_DOMAINS = {
    "general": [
        "argparse.py", "calendar.py", "csv.py", "dataclasses.py", "difflib.py",
        "fractions.py", "functools.py", "textwrap.py", "shlex.py", "string.py",
        "heapq.py", "bisect.py", "enum.py", "fnmatch.py", "glob.py", "graphlib.py",
        "statistics.py", "contextlib.py", "copy.py", "pprint.py",
    ],
    "asyncio": [
        "asyncio/locks.py", "asyncio/queues.py", "asyncio/tasks.py", "asyncio/streams.py",
        "asyncio/taskgroups.py", "asyncio/timeouts.py", "asyncio/runners.py",
    ],
}


def build_code_excerpt(stdlib_dir: str | None = None, out_path: Path = EXCERPT_PATH) -> Path:
    """Write the excerpt of CPython's ``Lib/`` (default: this interpreter's) to ``out_path``."""
    root = Path(stdlib_dir or sysconfig.get_paths()["stdlib"])
    lines = []
    for domain, files in CODE_DOMAINS.items():
        for name in files:
            text = (root / name).read_text(encoding="utf-8")
            lines.append(json.dumps({"path": f"Lib/{name}", "domain": domain, "text": text}))
    with lzma.open(out_path, "wt", encoding="utf-8", preset=9) as f:
        f.write("\n".join(lines) + "\n")
    return out_path


def load_code_corpus(domain: str | None = None) -> list[dict]:
    """Return the shipped excerpt as ``{"path", "domain", "text"}`` records, optionally one domain."""
    with lzma.open(EXCERPT_PATH, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [r for r in records if domain is None or r["domain"] == domain]


def chunk_documents(records: list[dict], chunk_chars: int = 2000) -> list[dict]:
    """Cut each file into pieces of about ``chunk_chars`` characters, on line boundaries.

    Small pieces are the unit of data that the mixing experiments count, shuffle and corrupt.
    """
    chunks = []
    for r in records:
        piece: list[str] = []
        size = 0
        for line in r["text"].splitlines(keepends=True):
            piece.append(line)
            size += len(line)
            if size >= chunk_chars:
                chunks.append({"path": r["path"], "domain": r["domain"], "text": "".join(piece)})
                piece, size = [], 0
        if piece:
            chunks.append({"path": r["path"], "domain": r["domain"], "text": "".join(piece)})
    return chunks


def split_held_out(chunks: list[dict], held_out_every: int = 10) -> tuple[list[dict], list[dict]]:
    """Split chunks into (train, held_out): every ``held_out_every``-th chunk is held out."""
    train = [c for i, c in enumerate(chunks) if i % held_out_every != held_out_every - 1]
    held_out = [c for i, c in enumerate(chunks) if i % held_out_every == held_out_every - 1]
    return train, held_out


CORRUPTIONS = ("shuffle", "noise", "repeat")


def corrupt_text(text: str, rng: random.Random, kind: str | None = None) -> str:
    """Damage one document the way scraped data is damaged (``kind`` drawn from ``rng`` if None).

    Kinds: ``shuffle`` (lines in random order: syntax broken), ``noise`` (three characters in
    ten replaced by symbols: encoding junk), ``repeat`` (cut short, last line repeated: a
    broken scrape).
    """
    lines = text.splitlines(keepends=True)
    kind = kind or rng.choice(CORRUPTIONS)
    if kind == "shuffle":
        rng.shuffle(lines)
        return "".join(lines)
    if kind == "noise":
        junk = "#$%&@^~`|\\{}<>"
        return "".join(rng.choice(junk) if rng.random() < 0.3 else ch for ch in text)
    head = lines[: max(1, len(lines) // 4)]
    # Repeat the last line that has text: a repeated blank line would leave clean code behind.
    last = next((line for line in reversed(head) if line.strip()), head[-1])
    return "".join(head) + last * (len(lines) - len(head))


def load_curation_documents(seed: int = 0) -> list[dict]:
    """Held-out documents for the curation exercise: ``{"text", "keep", "kind"}`` records.

    ``kind`` is ``clean``; ``duplicate`` (an exact copy of an earlier document: the first copy
    is kept, later ones dropped); ``noise`` or ``repeat`` from :func:`corrupt_text`; or
    ``short`` (a fragment of a dozen characters). The documents come from the held-out split,
    so a filter tuned on them has not seen the training chunks. Line shuffling is left out:
    no simple heuristic can see it in a chunk cut from the middle of a file.
    """
    rng = random.Random(seed)
    _, held_out = split_held_out(chunk_documents(load_code_corpus()))
    clean = [c["text"] for c in held_out]
    docs = [{"text": t, "keep": True, "kind": "clean"} for t in clean]
    docs += [{"text": t, "keep": False, "kind": "duplicate"} for t in rng.sample(clean, len(clean) // 4)]
    for kind in ("noise", "repeat"):
        for t in rng.sample(clean, len(clean) // 6):
            docs.append({"text": corrupt_text(t, rng, kind), "keep": False, "kind": kind})
    docs += [{"text": t[:12], "keep": False, "kind": "short"} for t in rng.sample(clean, len(clean) // 8)]
    rng.shuffle(docs)
    # After shuffling, the first copy of a duplicated text is the one to keep.
    seen = set()
    for d in docs:
        if d["text"] in seen:
            d.update(keep=False, kind="duplicate")
        elif d["kind"] == "duplicate":
            d.update(keep=True, kind="clean")
        seen.add(d["text"])
    return docs
