"""Small trained checkpoints of every lab stage, and the command that rebuilds them.

A student short of time, and the autograder, load these instead of training: the lesson's
mode (:mod:`trainlab.lesson.mode`) decides which. They are rebuilt, with the lab's default
settings, by::

    python -m trainlab.stages.checkpoints

which trains the code model, the timeline model, its SFT and DPO successors, saves them as
float16 safetensors beside this file (about 2 MB in all) and writes ``summary.json``: the
effects each checkpoint shows, measured on the saved weights, so a test can re-measure them.

Example:
    >>> model, tokenizer = load_checkpoint("timeline_dpo")
"""
import copy
import json
from pathlib import Path

from trainlab.stages.model import load_tiny_lm, save_tiny_lm

CHECKPOINT_DIR = Path(__file__).parent
NAMES = ("code_lm", "timeline_base", "timeline_sft", "timeline_dpo")
CODE_STEPS = 600  # more than the live demo (240): the shipped model writes more convincing code
REBUILD = "python -m trainlab.stages.checkpoints"
# The parts of the timeline's facts each tuned checkpoint is measured on: the tuned facts and
# every held-out set (see trainlab.stages.tuning_data.split_facts).
HELD_OUT_PARTS = ("tuned", "held_out", "singleton", "abstain_train", "abstain_test", "rewrite")


def load_checkpoint(name: str, directory: Path = CHECKPOINT_DIR):
    """Load a shipped checkpoint (one of ``NAMES``) as ``(model, tokenizer)``, float32, eval mode."""
    if name not in NAMES:
        raise ValueError(f"unknown checkpoint {name!r}: choose one of {NAMES}")
    path = Path(directory) / name
    if not (path / "model.safetensors").exists():
        raise FileNotFoundError(f"{path} is missing: rebuild with `{REBUILD}`")
    return load_tiny_lm(path)


def measure_checkpoints(directory: Path = CHECKPOINT_DIR) -> dict:
    """The effects the lesson claims, measured on the saved checkpoints (greedy, so repeatable)."""
    from trainlab.stages.answers import grade_answers
    from trainlab.stages.code_model import code_splits, encode_chunks
    from trainlab.stages.pretrain import evaluate_loss
    from trainlab.stages.timeline_experiments import run_recency_experiment, run_singleton_experiment
    from trainlab.stages.tuning_data import split_facts

    code, code_tok = load_checkpoint("code_lm", directory)
    _, held_out = code_splits("general")
    split = split_facts()
    summary = {"code_lm": {"held_out_loss": evaluate_loss(code, encode_chunks(held_out, code_tok),
                                                          code.config.n_positions)}}
    base, tok = load_checkpoint("timeline_base", directory)
    summary["timeline_base"] = {"singleton_recall": run_singleton_experiment(base, tok),
                                "recency_quiver2": run_recency_experiment(base, tok)["quiver 2"]}
    for name in ("timeline_base", "timeline_sft", "timeline_dpo"):
        model, tok = load_checkpoint(name, directory)
        for part in HELD_OUT_PARTS:
            summary.setdefault(name, {})[part] = grade_answers(model, tok, split[part])
    return summary


def build_checkpoints(directory: Path = CHECKPOINT_DIR, progress: bool = True, tuned_only: bool = False) -> dict:
    """Train every stage with the lab's defaults, save the checkpoints, write and return the summary.

    ``tuned_only`` keeps the saved code and timeline base models and retrains only the SFT and
    DPO checkpoints from that base (after a change to the tuning data or loops).
    """
    from trainlab.cpu import set_threads
    from trainlab.stages.code_model import train_code_lm
    from trainlab.stages.dpo import train_dpo
    from trainlab.stages.sft import train_sft
    from trainlab.stages.timeline_lm import train_timeline_lm
    from trainlab.stages.tuning_data import make_tuning_data

    set_threads()
    directory = Path(directory)
    if tuned_only:
        base, tok = load_checkpoint("timeline_base", directory)
    else:
        code, code_tok, _ = train_code_lm(steps=CODE_STEPS, progress=progress)
        save_tiny_lm(code, code_tok, directory / "code_lm")
        base, tok, _ = train_timeline_lm(progress=progress)
        save_tiny_lm(base, tok, directory / "timeline_base")
    data = make_tuning_data()
    tuned = copy.deepcopy(base)
    train_sft(tuned, tok, data["sft"], progress=progress)
    save_tiny_lm(tuned, tok, directory / "timeline_sft")
    train_dpo(tuned, tok, data["dpo"], progress=progress)
    save_tiny_lm(tuned, tok, directory / "timeline_dpo")
    summary = {"regenerate": REBUILD, **measure_checkpoints(directory)}
    (directory / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    """The rebuild command: train, save and measure every checkpoint; print the summary."""
    import argparse

    parser = argparse.ArgumentParser(prog="trainlab checkpoints", description=build_checkpoints.__doc__)
    parser.add_argument("directory", nargs="?", type=Path, default=CHECKPOINT_DIR,
                        help="where to write them (default: the shipped ones, beside the code)")
    parser.add_argument("--tuned-only", action="store_true",
                        help="keep the code and base models; retrain only the SFT and DPO checkpoints")
    args = parser.parse_args(argv)
    print(json.dumps(build_checkpoints(args.directory, tuned_only=args.tuned_only), indent=1))
    return 0
