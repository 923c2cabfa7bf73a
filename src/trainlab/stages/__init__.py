"""The tiny lab: one tiny model taken through the four stages that make a language model.

Read in this order:

- ``model``: the tiny GPT-2 in nanoGPT's size names, its BPE tokenizer, save and load
- ``pretrain``: stage 1, the next-token loop (warm-up, cosine decay, a live-plot hook)
- ``code_corpus``, ``code_model``: an excerpt of Python's standard library, and the code
  model pretrained on it
- ``code_experiments``: stage 2 on code, coverage and quality of the training data
- ``timeline``: dated documents about made-up libraries, with a knowledge cutoff
- ``timeline_lm``: the base model pretrained on the timeline up to its cutoff
- ``answers``: asking it questions and judging the answers (correct, abstain, old API)
- ``timeline_experiments``: stage 2 on the timeline, recency and facts seen once
- ``tuning_data``: instruction and preference records (TRL's keys) and held-out splits
- ``sft``, ``dpo``: stage 3 and stage 4, instruction and preference tuning
- ``trl_trainers``: the DPO loss checked against TRL's ``DPOTrainer``
- ``checkpoints``: every stage trained and shipped; ``python -m trainlab.stages.checkpoints``
  rebuilds them
"""
