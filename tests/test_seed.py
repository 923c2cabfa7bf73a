"""Seeding: the same seed gives the same numbers, and sampling uses its own generator."""
import trainlab  # noqa: F401  (first: it sets OMP_WAIT_POLICY before torch starts its threads)

import random

import torch

from trainlab.seed import cpu_quota, make_generator, set_seed, set_threads


def test_set_seed_repeats_every_generator():
    set_seed(3)
    first = (random.random(), torch.rand(3))
    set_seed(3)
    second = (random.random(), torch.rand(3))
    assert first[0] == second[0]
    assert torch.equal(first[1], second[1])


def test_make_generator_is_independent_of_the_global_seed():
    a = torch.rand(4, generator=make_generator(7))
    set_seed(99)
    b = torch.rand(4, generator=make_generator(7))
    assert torch.equal(a, b)


def test_set_threads_respects_the_quota():
    before = torch.get_num_threads()
    try:
        n = set_threads()
        assert 1 <= n <= max(1, cpu_quota())
        assert set_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
