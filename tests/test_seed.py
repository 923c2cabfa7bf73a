"""Seeding: the same seed gives the same numbers, and sampling uses its own generator."""
import random

import torch

from trainlab.seed import make_generator, set_seed


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

