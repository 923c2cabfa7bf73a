"""Benchmark the real model as the lesson uses it: load time, greedy speed, peak memory.

Usage:
    python benchmarks/model.py            # load as a student's kernel would (cache if present)
    python benchmarks/model.py --cold     # first convert the GGUF in a fresh cache, and time it
    python benchmarks/model.py --threads 2

Targets (DESIGN budgets, 2 CPU cores): load under 15 s, at least 20 greedy tokens/s,
peak under 1.5 GB. The greedy speed is the median of three runs of 64 new tokens, prompt
processing included. The last line is machine-readable:
    model: load_s=<s> tokens_per_s=<greedy tokens/s> peak_mb=<MB>
"""
from __future__ import annotations

import trainlab  # noqa: F401  (first: it sets OMP_WAIT_POLICY and offline mode before torch loads)

# isort: split
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import torch

from trainlab.cpu import read_cpu_quota
from trainlab.smollm import chat, loader

PROMPT = "Write a Python function that checks whether a string is a palindrome."
NEW_TOKENS = 64


def peak_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def time_cold_conversion() -> float:
    """Load from the GGUF into an empty cache in a child process; return its seconds."""
    with tempfile.TemporaryDirectory() as cache:
        code = ("import time, trainlab.smollm.loader as r; t = time.perf_counter(); "
                "r.load_model(); print(time.perf_counter() - t)")
        env = dict(os.environ, TRAINLAB_CACHE=cache)
        out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                             capture_output=True, text=True)
        return float(out.stdout.strip().splitlines()[-1])


@torch.inference_mode()
def time_greedy(lm, runs: int = 3) -> float:
    prompt = chat.chat_prompt(lm.tokenizer, PROMPT)
    ids = torch.tensor([chat.encode_text(lm.tokenizer, prompt)])
    speeds = []
    for _ in range(runs):
        start = time.perf_counter()
        out = lm.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                                do_sample=False, pad_token_id=lm.tokenizer.eos_token_id)
        speeds.append((out.shape[1] - ids.shape[1]) / (time.perf_counter() - start))
    return statistics.median(speeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time a first GGUF load")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: chosen)")
    args = parser.parse_args()

    print(f"torch {torch.__version__}, visible cores {os.cpu_count()}, "
          f"cpu quota {read_cpu_quota()}, load average {os.getloadavg()[0]:.2f}")
    if args.cold:
        cold = time_cold_conversion()
        print(f"first load from the GGUF, converting into the cache: {cold:.1f} s "
              f"(peak {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB)")

    start = time.perf_counter()
    lm = loader.load_model(num_threads=args.threads)
    load_s = time.perf_counter() - start
    print(f"loaded from {lm.source} in {load_s:.1f} s with {lm.num_threads} thread(s)")
    speed = time_greedy(lm)
    print(f"greedy decoding: {speed:.1f} tokens/s (median of 3 x {NEW_TOKENS} tokens)")
    print(f"model: load_s={load_s:.1f} tokens_per_s={speed:.1f} peak_mb={peak_mb():.0f}")


if __name__ == "__main__":
    main()
