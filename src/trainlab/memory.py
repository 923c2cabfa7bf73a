"""Give memory that Python and torch have freed back to the system.

glibc's allocator keeps freed memory for reuse, and after many large, differently sized
allocations (training the tiny models, scoring batches of prompts with 49,152-wide logits)
it keeps a lot of it: the kernel's resident memory then grows with each step although the
live data does not. ``release_freed_memory`` collects Python's garbage and asks glibc to
return what it holds (``malloc_trim``); elsewhere (macOS, musl) it only collects.

Example:
    >>> release_freed_memory()  # doctest: +SKIP
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import sys


@functools.cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def release_freed_memory(generation: int = 2) -> None:
    """Collect garbage up to ``generation`` (2: all; 0: only the youngest objects, quick),
    then return the allocator's free memory to the system where it can."""
    gc.collect(generation)
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
