"""Benchmark the real model as the lesson uses it: loading, greedy speed, the probes, memory.

Usage:
    python benchmarks/model.py                 # the lesson's path
    python benchmarks/model.py --busy          # the same with a second process spinning on a core
    python benchmarks/model.py --compare       # also plain float32 layers, and llama.cpp if present
    python benchmarks/model.py --threads 2     # fix torch's threads instead of timing 1..quota

What is timed:
- ``first_load_s``: a fresh process loading into an empty cache (converts the tokenizer);
- ``load_s``: this process loading again from that cache, as a later kernel does;
- ``tokens_per_s``: greedy decoding as the lesson decodes (``generation.greedy_decode``), 64
  new tokens after a 45-token chat prompt, reading the prompt included, median of 3 runs;
  ``--compare`` also times ``model.generate`` on the same prompt;
- ``probes_s``: the three probes as the notebook runs them, nothing else: the recall horizon
  (``probe_cutoff``), inherited bias (``probe_preferences``) and the hallucination section
  (``probe_hallucination`` and ``ground_with_docs``). The other real-model cell,
  ``ask_about_time`` (just after loading), is timed and printed on its own line;
- ``peak_mb``: this process's peak resident memory.

Targets (issue 13, 2 CPU cores): decoding >= 40 tokens/s, reload <= 5 s, first load <= 15 s,
probes_s <= 30 s, peak < 1500 MB; with the other core busy, decoding at least half as fast.
``--compare`` runs llama.cpp's ``llama-bench`` on the same GGUF and threads when a binary is
found (``$LLAMA_BENCH`` or ``llama-bench`` on the PATH; never needed). The last line is
machine-readable:
    model: load_s=<s> first_load_s=<s> tokens_per_s=<x> probes_s=<s> peak_mb=<MB>
"""
from __future__ import annotations

import trainlab  # noqa: F401  (first: it sets OMP_WAIT_POLICY and offline mode before torch loads)

# isort: split
import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import torch

from trainlab.cpu import read_cpu_quota
from trainlab.smollm import bias, cutoff, hallucination, loader
from trainlab.smollm.generation import greedy_decode
from trainlab.smollm.prompts import chat_prompt, encode_text, read_prompts

PROMPT = "Write a Python function that checks whether a string is a palindrome."
NEW_TOKENS = 64
FIRST_LOAD = """
import json, time, trainlab.smollm.loader as loader
timings = {}
start = time.perf_counter()
loader.load_model(timings=timings)
print(json.dumps({"total": time.perf_counter() - start, **timings}))
"""


def peak_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def time_first_load(cache: str) -> dict:
    """Load in a fresh process with an empty cache ``cache``; return its step timings."""
    out = subprocess.run([sys.executable, "-c", FIRST_LOAD], env=dict(os.environ, TRAINLAB_CACHE=cache),
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@torch.inference_mode()
def time_greedy(lm, runs: int = 3, use_generate: bool = False) -> float:
    """Median tokens/s of greedy decoding, reading the prompt included."""
    encoded = encode_text(lm.tokenizer, chat_prompt(lm.tokenizer, PROMPT))
    ids = torch.tensor([encoded])
    speeds = []
    for _ in range(runs):
        start = time.perf_counter()
        # No end-of-turn token stops it: exactly NEW_TOKENS every run.
        if use_generate:
            out = lm.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW_TOKENS,
                                    do_sample=False, eos_token_id=None, pad_token_id=lm.tokenizer.eos_token_id)
            n_new = out.shape[1] - ids.shape[1]
        else:
            cache, mask, _ = read_prompts(lm, [encoded])
            n_new = greedy_decode(lm.model, cache, mask, encoded[-1:], NEW_TOKENS, None, 0).shape[1]
        speeds.append(n_new / (time.perf_counter() - start))
    return statistics.median(speeds)


PROBES = {  # the notebook's real-model cells, in its order
    "ask_about_time": lambda lm: cutoff.ask_about_time(lm),
    "probe_cutoff": lambda lm: cutoff.probe_cutoff(lm),
    "probe_preferences": lambda lm: bias.probe_preferences(lm),
    "probe_hallucination": lambda lm: hallucination.probe_hallucination(lm),
    "ground_with_docs": lambda lm: hallucination.ground_with_docs(lm),
}
OUTSIDE_PROBES = {"ask_about_time"}  # timed, not counted in probes_s


def time_probes(lm) -> tuple[dict, dict]:
    """Seconds and CPU seconds of each cell, in the order and with the arguments the notebook uses."""
    seconds, cpu = {}, {}
    for name, run in PROBES.items():
        start, start_cpu = time.perf_counter(), time.process_time()
        run(lm)
        seconds[name], cpu[name] = time.perf_counter() - start, time.process_time() - start_cpu
    return seconds, cpu


def llama_cpp_speed(threads: int) -> float | None:
    """llama.cpp's greedy tokens/s on the same GGUF (tg64), or None without a binary."""
    binary = os.environ.get("LLAMA_BENCH") or shutil.which("llama-bench")
    if not binary or not os.access(binary, os.X_OK):
        return None
    out = subprocess.run([binary, "-m", str(loader.find_gguf()), "-t", str(threads), "-p", "0",
                          "-n", str(NEW_TOKENS), "-r", "1", "-o", "json"], capture_output=True, text=True)
    try:
        return float(json.loads(out.stdout)[0]["avg_ts"])
    except (ValueError, KeyError, IndexError):
        return None


@contextlib.contextmanager
def other_core_busy(enabled: bool):
    """A second process spinning for the whole block (the other core busy), if enabled."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if enabled else None
    try:
        yield
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", action="store_true", help="keep a second process spinning throughout")
    parser.add_argument("--compare", action="store_true", help="also float32 layers, and llama.cpp if present")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: timed)")
    args = parser.parse_args()

    print(f"torch {torch.__version__}, visible cores {os.cpu_count()}, cpu quota {read_cpu_quota()}, "
          f"load average {os.getloadavg()[0]:.2f}" + (", other core busy" if args.busy else ""))
    with other_core_busy(args.busy), tempfile.TemporaryDirectory() as cache:
        first = time_first_load(cache)
        print("first load (empty cache): " + ", ".join(f"{k} {v:.1f} s" for k, v in first.items()))

        os.environ["TRAINLAB_CACHE"] = cache
        timings = {}
        start = time.perf_counter()
        lm = loader.load_model(num_threads=args.threads, timings=timings)
        load_s = time.perf_counter() - start
        print(f"reload ({lm.source}, {lm.num_threads} thread(s) decoding, {lm.batch_threads} reading prompts): "
              f"{load_s:.1f} s = "
              + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))

        speed = time_greedy(lm)
        print(f"greedy decoding: {speed:.1f} tokens/s (median of 3 x {NEW_TOKENS} tokens)")
        seconds, cpu = time_probes(lm)
        probes = {k: v for k, v in seconds.items() if k not in OUTSIDE_PROBES}
        probes_s = sum(probes.values())
        print(f"probes: {probes_s:.1f} s = " + ", ".join(f"{k} {v:.1f} s" for k, v in probes.items())
              + " (CPU time " + ", ".join(f"{cpu[k]:.1f}" for k in probes) + ")")
        print("not in probes_s: " + ", ".join(f"{k} {seconds[k]:.1f} s" for k in OUTSIDE_PROBES))
        peak = peak_mb()  # the lesson's path only: the comparison below loads a second model
        if args.compare:  # side by side, in turns, so that a change in the machine's load hits all
            plain = loader.load_model(num_threads=lm.num_threads, packed=False)
            runs = {"4-bit kernel": [], "model.generate": [], "float32 layers": [], "llama.cpp": []}
            for _ in range(3):
                runs["4-bit kernel"].append(time_greedy(lm, runs=1))
                runs["model.generate"].append(time_greedy(lm, runs=1, use_generate=True))
                runs["float32 layers"].append(time_greedy(plain, runs=1))
                runs["llama.cpp"].append(llama_cpp_speed(lm.num_threads))
            median = {k: statistics.median(v) for k, v in runs.items() if None not in v}
            print("side by side, tokens/s: " + ", ".join(f"{k} {v:.1f}" for k, v in median.items())
                  + f"; 4-bit/float32 x{median['4-bit kernel'] / median['float32 layers']:.2f}"
                  + (f"; 4-bit at {median['4-bit kernel'] / median['llama.cpp']:.0%} of llama.cpp"
                     if "llama.cpp" in median else " (no llama-bench found)"))
            del plain

    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"model: load_s={load_s:.1f} first_load_s={first['total']:.1f} tokens_per_s={speed:.1f} "
          f"probes_s={probes_s:.1f} peak_mb={peak:.0f}")


if __name__ == "__main__":
    main()
