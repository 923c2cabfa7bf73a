"""How many CPU threads torch should use: the cores this process may really use, and a timing.

Speed on a shared CPU depends on the thread count more than on anything else: torch threads
that outnumber the cores the machine really grants wait on each other (measured: 0.6 tokens/s
instead of 20 while another process held one of two cores). :func:`cpu_quota` reads the
cgroup CPU quota (v2 ``cpu.max`` or v1 ``cpu.cfs_*``), which Binder sets below the number of
cores it shows; :func:`set_threads` applies it to the tiny lab; :func:`calibrate_num_threads`
times a few decoding steps of a real model to pick between 1 and that cap.

Example:
    >>> from trainlab.cpu import cpu_quota, set_threads
    >>> set_threads() <= max(1, cpu_quota())
    True
"""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import torch


def read_cpu_quota(cgroup_root: str | Path = "/sys/fs/cgroup") -> float | None:
    """Return the CPU quota in cores from cgroup v2 ``cpu.max`` or v1 ``cpu.cfs_*``, or None."""
    root = Path(cgroup_root)
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def cpu_quota(cgroup_root: str | Path = "/sys/fs/cgroup") -> int:
    """Cores this process may use: the affinity mask, capped by the CPU quota (rounded down).

    Binder shows more cores than its quota grants; one thread too many stalls every step,
    one too few costs only a share of the speed.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = read_cpu_quota(cgroup_root)
    if quota is not None:
        cores = min(cores or 1, int(quota))
    return max(1, cores or 1)


def set_threads(num_threads: int | None = None) -> int:
    """Set torch's intra-op threads (default: the CPU quota, at most 2) and return the count.

    The lab's models are so small that more than two threads buys little and, on a shared
    machine, costs a lot when a thread waits for a busy core.
    """
    n = num_threads if num_threads is not None else min(2, cpu_quota())
    torch.set_num_threads(n)
    return n


def _forward_steps(model):
    """One decoding step of ``model``'s own forward per call, on a cache that grows."""
    state = {"out": model(input_ids=torch.arange(100, 116).unsqueeze(0), use_cache=True)}

    def step():
        out = state["out"]
        state["out"] = model(input_ids=out.logits[:, -1:].argmax(-1), cache=out.cache, use_cache=True)

    return step


@torch.inference_mode()
def calibrate_num_threads(model, max_threads: int, n_steps: int = 8, step=None) -> int:
    """Time a few decoding steps of ``model`` at 1..``max_threads`` threads; keep the fastest.

    The quota says how many cores the process may use, not how many are free, and no
    fixed rule fits every kind of busy: measured on 2 cores shared with other jobs, two
    threads decoded at 0.6 tokens/s against 5.9 for one, while with a single busy-loop on
    the other core two threads still led (7.3 against 5.2). So the count is timed. Decoding,
    a long chain of small operations, suffers most from waiting threads; it is what is timed.
    A trial stops as soon as it is slower than the best so far, so a bad count costs little.
    ``step``, if given, runs one decoding step the way its caller decodes (``model`` is then
    not called). Returns the count, which is left set.
    """
    if step is None:
        step = _forward_steps(model)
    best, best_s = 1, float("inf")
    for n in range(1, max_threads + 1):
        torch.set_num_threads(n)
        step()  # warm-up
        start = time.perf_counter()
        for _ in range(n_steps):
            step()
            if time.perf_counter() - start > best_s:
                break
        elapsed = time.perf_counter() - start
        if elapsed < best_s:
            best, best_s = n, elapsed
    torch.set_num_threads(best)
    return best


def calibrate_batch_threads(max_threads: int, rows: int = 256, size: tuple = (576, 1536), repeats: int = 6) -> int:
    """Time a bfloat16 matrix product the size of a prompt batch at 1..``max_threads`` threads.

    Reading prompts is a few large products, which (unlike decoding, see
    :func:`calibrate_num_threads`) split well across free cores: the count that wins here
    may differ from the decoding count. A count must be 15% faster than one fewer to be
    kept, so a busy core, which makes the trial noisy, keeps the smaller count. The
    previous thread count is restored. A few milliseconds.
    """
    before = torch.get_num_threads()
    x = torch.randn(rows, size[0], dtype=torch.bfloat16)
    w = torch.randn(size[1], size[0], dtype=torch.bfloat16)
    best, best_s = 1, float("inf")
    try:
        for n in range(1, max_threads + 1):
            torch.set_num_threads(n)
            torch.nn.functional.linear(x, w)  # warm-up
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                torch.nn.functional.linear(x, w)
                times.append(time.perf_counter() - start)
            elapsed = sorted(times)[len(times) // 2]
            if elapsed < 0.85 * best_s:
                best, best_s = n, elapsed
    finally:
        torch.set_num_threads(before)
    return best


@contextlib.contextmanager
def threads(n: int | None):
    """Context: torch's intra-op threads set to ``n`` (None: unchanged), restored after."""
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
