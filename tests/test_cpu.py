"""Thread choice: the CPU quota (cgroup v1 and v2) caps torch's threads; a timing picks the count."""
import os

import pytest
import torch

from trainlab.cpu import calibrate_num_threads, cpu_quota, set_threads
from trainlab.stages.model import TinyConfig, build_tiny_lm


@pytest.mark.parametrize("files, expected", [
    ({"cpu.max": "150000 100000\n"}, 1),
    ({"cpu.max": "100000 100000\n"}, 1),
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
])
def test_thread_count_follows_the_cpu_quota(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    visible = len(os.sched_getaffinity(0))
    assert cpu_quota(tmp_path) == (expected or visible)


def test_set_threads_respects_the_quota():
    before = torch.get_num_threads()
    try:
        n = set_threads()
        assert 1 <= n <= max(1, cpu_quota())
        assert set_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_calibration_picks_a_thread_count_within_the_quota():
    before = torch.get_num_threads()
    try:
        model = build_tiny_lm(TinyConfig()).eval()
        cap = cpu_quota()
        chosen = calibrate_num_threads(model, cap, n_steps=2)
        assert 1 <= chosen <= cap and torch.get_num_threads() == chosen
    finally:
        torch.set_num_threads(before)
