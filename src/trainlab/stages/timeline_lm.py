"""The timeline model: a tiny LM pretrained on the timeline's documents up to its cutoff.

This is the base model that the recency and singleton experiments probe
(:mod:`.timeline_experiments`) and that instruction tuning (:mod:`.sft`) and preference tuning
(:mod:`.dpo`) start from. It reads only documents dated on or before the cutoff, so what it
says about later versions is, by construction, what a model says about the world after its
training data ends. Its answers are judged in :mod:`.answers`.

Example:
    >>> model, tokenizer, history = train_timeline_lm(steps=300)
    >>> grade_answers(model, tokenizer, split_facts()["known"])["correct"]
"""
from dataclasses import replace

from trainlab.seed import set_seed
from trainlab.stages.model import TinyConfig, build_tiny_lm, train_tokenizer
from trainlab.stages.pretrain import encode_documents, train_tiny_lm
from trainlab.stages.timeline import ABSTAIN, make_timeline
from trainlab.stages.tuning_data import make_instruction_pairs

TIMELINE_CONFIG = TinyConfig(n_layer=2, n_head=4, n_embd=64, block_size=64, vocab_size=1024)


def pre_cutoff_texts(timeline: dict) -> list[str]:
    """The documents a model trained up to the cutoff has read."""
    return [d["text"] for d in timeline["documents"] if d["date"] <= timeline["cutoff"]]


def train_timeline_lm(steps: int = 300, batch_size: int = 32, lr: float = 5e-3,
                      config: TinyConfig = TIMELINE_CONFIG, seed: int = 0, callback=None,
                      progress: bool = True):
    """Pretrain a tiny LM on the timeline's pre-cutoff documents; return ``(model, tokenizer, history)``.

    The tokenizer is trained on the same documents, and on the instruction and preference
    texts that later stages use, so every stage shares one vocabulary; ``quiver 2``'s new
    calls appear in it only as byte pieces, like any word a real tokenizer never saw.
    """
    set_seed(seed)
    timeline = make_timeline(seed=seed)
    texts = pre_cutoff_texts(timeline)
    known = [f for f in timeline["facts"] if f["known"]]
    prompts = [r["prompt"] + r["completion"] for r in make_instruction_pairs(known)]
    tokenizer = train_tokenizer(texts + prompts + [ABSTAIN], vocab_size=config.vocab_size)
    model = build_tiny_lm(replace(config, vocab_size=len(tokenizer)), eos_token_id=tokenizer.eos_token_id)
    tokens = encode_documents(texts, tokenizer)  # (N,)
    history = train_tiny_lm(model, tokens, steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                            callback=callback, progress=progress)
    return model, tokenizer, history
