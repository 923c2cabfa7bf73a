"""The tuning data: instruction and preference records built from the timeline's facts.

Instruction tuning (:mod:`.sft`) and preference tuning (:mod:`.dpo`) train on records made
from the facts of :mod:`.timeline`, in TRL's keys: ``{"prompt", "completion"}`` for
instruction pairs and ``{"prompt", "chosen", "rejected"}`` for preference pairs, so a learner
can hand the same lists to ``SFTTrainer`` and ``DPOTrainer``. :func:`split_facts` keeps half
of the post-cutoff facts out of every record, so that abstention is measured on questions
preference tuning never saw.

Example:
    >>> data = make_tuning_data()
    >>> sorted(data["dpo"][0])
    ['chosen', 'prompt', 'rejected']
"""
import random

import torch

from trainlab.stages.timeline import ABSTAIN, ask, make_facts


def make_instruction_pairs(facts: list[dict]) -> list[dict]:
    """SFT records ``{"prompt", "completion"}``: each fact asked and answered with its call."""
    return [{"prompt": ask(f["task"], f["lib"], f["ver"]), "completion": f" Use {f['call']}."} for f in facts]


def make_preference_pairs(facts: list[dict], seed: int = 0) -> list[dict]:
    """DPO records ``{"prompt", "chosen", "rejected"}``.

    Unknown (post-cutoff) facts: chosen is the honest ``ABSTAIN``, rejected a confident
    invention (the old API's call for the same task, or another library's call). Known facts:
    chosen is the right call, rejected ``ABSTAIN`` or a wrong call.
    """
    rng = random.Random(seed)
    known_calls = {(f["lib"], f["task"]): f["call"] for f in make_facts() if f["known"]}
    all_known = sorted(known_calls.values())
    pairs = []
    for f in facts:
        prompt = ask(f["task"], f["lib"], f["ver"])
        right = f" Use {f['call']}."
        if f["known"]:
            if rng.random() < 0.5:
                wrong = " " + ABSTAIN
            else:
                wrong = f" Use {rng.choice([c for c in all_known if c != f['call']])}."
            pairs.append({"prompt": prompt, "chosen": right, "rejected": wrong})
        else:
            invented = known_calls.get((f["lib"], f["task"])) or rng.choice(all_known)
            pairs.append({"prompt": prompt, "chosen": " " + ABSTAIN, "rejected": f" Use {invented}."})
    return pairs


def split_facts(seed: int = 0) -> dict:
    """Facts split for tuning and evaluation: ``{"known", "singleton", "unknown_train", "unknown_test"}``.

    Unknown (post-cutoff) facts are split in half so that abstention is measured on
    questions DPO never trained on.
    """
    g = torch.Generator().manual_seed(seed)
    facts = make_facts()
    unknown = [f for f in facts if not f["known"]]
    order = torch.randperm(len(unknown), generator=g).tolist()
    half = len(unknown) // 2
    return {
        "known": [f for f in facts if f["known"] and not f["singleton"]],
        "singleton": [f for f in facts if f["singleton"]],
        "unknown_train": [unknown[i] for i in order[:half]],
        "unknown_test": [unknown[i] for i in order[half:]],
    }


def make_tuning_data(seed: int = 0) -> dict:
    """SFT records (the known common facts) and DPO records (those plus half the unknown ones).

    SFT sees only questions the model can answer, as instruction data is written by people who
    know the answers: it teaches the answer format, and nothing about what to do when the
    answer is unknown. That is left to the preference pairs.
    """
    split = split_facts(seed)
    return {
        "sft": make_instruction_pairs(split["known"]),
        "dpo": make_preference_pairs(split["known"] + split["unknown_train"], seed=seed),
    }
