"""Seeding for the tiny-model lab, so every run can be repeated.

Every experiment in the lab calls :func:`set_seed` before it builds data or a model, and
every sampling call takes an explicit ``torch.Generator`` from :func:`make_generator`, so
that a re-run on the same machine draws the same numbers. The idea follows the
reproducibility notes of PyTorch ("Reproducibility", pytorch.org/docs/stable/notes/randomness).
How many threads torch uses is :mod:`trainlab.cpu`'s business.

Example:
    >>> from trainlab.seed import set_seed, make_generator
    >>> set_seed(0)
    >>> g = make_generator(0)
"""
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
