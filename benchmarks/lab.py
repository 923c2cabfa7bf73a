"""Wall time and peak memory of each stage of the tiny-model lab, trained from scratch.

Runs the full training path (no shipped checkpoints) with the lab's default settings on two
threads: stage 1 pretrains the code model and the timeline model; stage 2 runs the coverage,
quality, recency and singleton experiments; stage 3 is SFT; stage 4 is DPO with the SFT term.
Budget: each stage under 60 s, all under 4 minutes, peak memory under 1.5 GB. The last line is

    lab: pretrain_s=<s> data_s=<s> sft_s=<s> dpo_s=<s> total_s=<s> peak_mb=<MB>

Run: ``python benchmarks/lab.py [THREADS]`` (default 2).
"""
import os
import sys
import threading
import time

import psutil

# The first trainlab import sets OMP_WAIT_POLICY before anything imports torch.
from trainlab.cpu import set_threads


class PeakMemory:
    """Samples this process's resident memory every 20 ms and keeps the maximum (MB)."""

    def __init__(self):
        self.process = psutil.Process()
        self.peak = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss / 2**20)

    def reset(self) -> float:
        peak, self.peak = self.peak, self.process.memory_info().rss / 2**20
        return peak


def main() -> None:
    threads = set_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    memory = PeakMemory()
    from trainlab.stages.answers import grade_answers
    from trainlab.stages.code_experiments import run_coverage_experiment, run_quality_experiment
    from trainlab.stages.code_model import train_code_lm
    from trainlab.stages.dpo import train_dpo
    from trainlab.stages.sft import train_sft
    from trainlab.stages.timeline_experiments import run_recency_experiment, run_singleton_experiment
    from trainlab.stages.timeline_lm import train_timeline_lm
    from trainlab.stages.tuning_data import make_tuning_data, split_facts

    split, data = split_facts(), make_tuning_data()
    times = {}
    start, cpu_start = time.perf_counter(), time.process_time()

    t = time.perf_counter()
    _, _, code_history = train_code_lm(progress=False)
    timeline, tok, timeline_history = train_timeline_lm(progress=False)
    times["pretrain"] = time.perf_counter() - t
    print(f"pretrain: {times['pretrain']:.1f} s, peak {memory.reset():.0f} MB; code held-out loss "
          f"{code_history['val_loss'][0]:.2f} -> {code_history['val_loss'][-1]:.2f}, timeline loss "
          f"{timeline_history['loss'][0]:.2f} -> {timeline_history['loss'][-1]:.2f}")

    t = time.perf_counter()
    coverage = run_coverage_experiment()
    quality = run_quality_experiment()
    recency = run_recency_experiment(timeline, tok)["quiver 2"]
    singleton = run_singleton_experiment(timeline, tok)
    times["data"] = time.perf_counter() - t
    print(f"data: {times['data']:.1f} s, peak {memory.reset():.0f} MB; asyncio loss by share "
          + ", ".join(f"{r['share']:.0%}: {r['asyncio_loss']:.2f}" for r in coverage)
          + "; clean loss by corruption " + ", ".join(f"{r['corrupted']:.0%}: {r['clean_loss']:.2f}" for r in quality)
          + f"; quiver 2 old API {recency['old_api']:.2f}; recall common {singleton['common']:.2f}"
          f" singleton {singleton['singleton']:.2f}")

    t = time.perf_counter()
    train_sft(timeline, tok, data["sft"], progress=False)
    times["sft"] = time.perf_counter() - t
    tuned = grade_answers(timeline, tok, split["tuned"])
    held = grade_answers(timeline, tok, split["held_out"])
    print(f"sft: {times['sft']:.1f} s, peak {memory.reset():.0f} MB; tuned facts correct {tuned['correct']:.2f}; "
          f"held-out facts correct {held['correct']:.2f}, answer format {held['answer_format']:.2f}")

    t = time.perf_counter()
    history = train_dpo(timeline, tok, data["dpo"], progress=False)
    times["dpo"] = time.perf_counter() - t
    held = grade_answers(timeline, tok, split["held_out"])
    new = grade_answers(timeline, tok, split["abstain_test"])
    singles = grade_answers(timeline, tok, split["singleton"])
    print(f"dpo: {times['dpo']:.1f} s, peak {memory.reset():.0f} MB; held-out facts correct {held['correct']:.2f}; "
          f"abstains on new questions about post-cutoff libraries {new['abstain']:.2f}, on facts seen once "
          f"{singles['abstain']:.2f}; reward margin {history['reward_margin'][-1]:.2f}")

    total = time.perf_counter() - start
    memory.stop.set()
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # CPU seconds show what the wall times would be on a quiet machine (about CPU / threads).
    print(f"threads={threads}, CPU {time.process_time() - cpu_start:.0f} s, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} visible cores")
    print(f"lab: pretrain_s={times['pretrain']:.1f} data_s={times['data']:.1f} sft_s={times['sft']:.1f} "
          f"dpo_s={times['dpo']:.1f} total_s={total:.1f} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
