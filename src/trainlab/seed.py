"""Seeding and thread choice for the tiny-model lab, so every run can be repeated.

Every experiment in the lab calls :func:`set_seed` before it builds data or a model, and
every sampling call takes an explicit ``torch.Generator`` from :func:`make_generator`, so
that a re-run on the same machine draws the same numbers. The idea follows the
reproducibility notes of PyTorch ("Reproducibility", pytorch.org/docs/stable/notes/randomness).

Example:
    >>> from trainlab.seed import set_seed, make_generator
    >>> set_seed(0)
    >>> g = make_generator(0)
"""
import os
import random
from pathlib import Path

import numpy as np
import torch


def set_seed(seed: int = 0) -> None:
    """Seed Python's, NumPy's and torch's global random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_generator(seed: int = 0) -> torch.Generator:
    """Return a CPU ``torch.Generator`` seeded with ``seed``, for sampling and shuffling."""
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


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
