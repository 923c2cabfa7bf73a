"""The tuning data: instruction and preference records built from the timeline's facts.

Instruction tuning (:mod:`.sft`) and preference tuning (:mod:`.dpo`) train on records made
from the facts of :mod:`.timeline`, in TRL's keys: ``{"prompt", "completion"}`` for
instruction pairs and ``{"prompt", "chosen", "rejected"}`` for preference pairs, so a learner
can hand the same lists to ``SFTTrainer`` and ``DPOTrainer``. :func:`split_facts` keeps half
of the repeated facts, the single-document facts, half of the post-cutoff questions and the
whole ``quiver 2`` rewrite out of every record, so that each stage is tested on questions it
never trained on.

Example:
    >>> data = make_tuning_data()
    >>> sorted(data["dpo"][0])
    ['chosen', 'prompt', 'rejected']
"""
import random

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


def split_facts() -> dict:
    """The timeline's facts, split into what tuning sees and what is held out to test it.

    - ``tuned``: every other fact that the pretraining documents repeat (10 of 20); SFT
      answers them, DPO prefers their right answer;
    - ``held_out``: the other 10 repeated facts: read in pretraining, never in tuning;
    - ``known``: both of those together (the facts the documents repeat);
    - ``singleton``: facts written in a single pretraining document, never in tuning;
    - ``abstain_train``: every other question about the two libraries that appear after
      the cutoff (``sprocket``, ``wren``): DPO prefers "I don't know" on them;
    - ``abstain_test``: the other questions about those two libraries, never in tuning;
    - ``rewrite``: every ``quiver 2`` question (the rewrite after the cutoff), never in tuning.

    Held-out sets answer the questions a demo on training questions cannot: did tuning teach
    a format or facts, and did preference tuning teach "say I don't know when you don't know"
    or only "say it about these names"?
    """
    facts = make_facts()
    repeated = [f for f in facts if f["known"] and not f["singleton"]]
    new_libraries = [f for f in facts if not f["known"] and f["lib"] != "quiver"]
    return {
        "tuned": repeated[0::2],
        "held_out": repeated[1::2],
        "known": repeated,
        "singleton": [f for f in facts if f["singleton"]],
        "abstain_train": new_libraries[0::2],
        "abstain_test": new_libraries[1::2],
        "rewrite": [f for f in facts if f["lib"] == "quiver" and f["ver"] == 2],
    }


def make_tuning_data(seed: int = 0) -> dict:
    """SFT records (the tuned facts) and DPO records (those plus ``abstain_train``).

    SFT sees only questions with known answers, as instruction data is written by people who
    know them: it teaches the answer format, and nothing about what to do when the answer is
    unknown. That is left to the preference pairs.
    """
    split = split_facts()
    return {
        "sft": make_instruction_pairs(split["tuned"]),
        "dpo": make_preference_pairs(split["tuned"] + split["abstain_train"], seed=seed),
    }
