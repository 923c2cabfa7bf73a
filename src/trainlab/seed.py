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


def cpu_quota() -> int:
    """Number of CPUs this process may use: the cgroup quota if set, else the affinity mask.

    Binder shows more cores than its quota; threads beyond the quota stall each other.
    """
    usable = len(os.sched_getaffinity(0))
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()
        if quota != "max":
            usable = min(usable, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return usable


def set_threads(num_threads: int | None = None) -> int:
    """Set torch's intra-op threads (default: the CPU quota, at most 2) and return the count.

    The lab's models are so small that more than two threads buys little and, on a shared
    machine, costs a lot when a thread waits for a busy core.
    """
    n = num_threads if num_threads is not None else min(2, cpu_quota())
    torch.set_num_threads(n)
    return n
