"""The tokenizer of the GGUF file, converted once and kept in a small cache.

Converting the tokenizer that the GGUF metadata describes takes about a second; the cache
(``$TRAINLAB_CACHE`` or ``~/.cache/trainlab``, never git) keeps the converted one, stamped
with the file and transformers version it came from, so later kernels load it in 0.3 s.
The weights are not cached: they are rebuilt from the GGUF on every load, which is as fast
as reading a float32 copy and takes no disk.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

# Bumped whenever the cached format changes, so an old cache is rebuilt rather than misread.
# 2: the cache holds the tokenizer only (1 held 540 MB of float32 weights).
CACHE_FORMAT = 2


def cache_dir() -> Path:
    """Directory of the converted tokenizer: ``$TRAINLAB_CACHE`` or ``~/.cache/trainlab``."""
    base = os.environ.get("TRAINLAB_CACHE") or Path.home() / ".cache" / "trainlab"
    return Path(base) / "smollm2-135m-instruct"


def _cache_stamp(gguf_path: Path) -> dict:
    import transformers

    stat = gguf_path.stat()
    return {
        "format": CACHE_FORMAT,
        "gguf_size": stat.st_size,
        "gguf_mtime": int(stat.st_mtime),
        "transformers": transformers.__version__,
    }


def _cache_is_valid(path: Path, stamp: dict) -> bool:
    try:
        return json.loads((path / "trainlab_stamp.json").read_text()) == stamp
    except (OSError, ValueError):
        return False


def tokenizer_from_gguf(path: Path):
    """The tokenizer the GGUF's metadata describes, built by transformers' own converter."""
    from transformers import PreTrainedTokenizerFast
    from transformers.integrations.gguf.gguf_tokenizer_mapping import convert_gguf_tokenizer, get_gguf_tokenizer

    architecture, tokenizer_dict, tokenizer_config = get_gguf_tokenizer(str(path))
    backend, extra = convert_gguf_tokenizer(architecture, tokenizer_dict)
    return PreTrainedTokenizerFast(tokenizer_object=backend, **tokenizer_config, **extra)


def save_to_cache(tokenizer, gguf_path: Path, dest: Path) -> bool:
    """Save the converted tokenizer in ``dest``; return True on success.

    A failed or concurrent write leaves no half-written cache behind.
    """
    tmp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=dest.parent))
        tokenizer.save_pretrained(tmp)
        (tmp / "trainlab_stamp.json").write_text(json.dumps(_cache_stamp(gguf_path)))
        if dest.exists():
            shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
        return True
    except OSError:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        return False


def load_tokenizer(gguf: Path, use_cache: bool):
    """(tokenizer, "cache" or "gguf"): from the cache when valid, else converted (and cached)."""
    cached = cache_dir()
    if use_cache and _cache_is_valid(cached, _cache_stamp(gguf)):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(cached), "cache"
    tokenizer = tokenizer_from_gguf(gguf)
    if use_cache:
        save_to_cache(tokenizer, gguf, cached)
    return tokenizer, "gguf"
