"""trainlab: the library behind Lesson 2, "How AI models are trained".

The notebook tells the story; this package holds the machinery it imports:

- ``stages``   the tiny lab: one tiny model taken through the four stages (pretraining, the
               training data, instruction tuning, preference tuning) and shipped checkpoints
- ``smollm``   the real model, SmolLM2-135M-Instruct: loading, chat, and what is measured on
               it (knowledge cutoff, hallucination, inherited bias, open weights)
- ``lesson``   what the notebook calls to set up, check and show: the lesson's mode, the
               visible tests' messages, widgets, figures, and the generated editions
- ``grading``  grading a class: confined, parallel nbgrader autograding and its feedback
- ``cli``      the ``trainlab`` command (generate, grade, checkpoints)
- ``cpu``, ``seed``, ``memory``  thread choice from the CPU quota; seeds and generators;
               handing freed memory back to the system

Importing the package sets the environment defaults once, before torch is imported by
anything that follows: ``OMP_WAIT_POLICY=PASSIVE`` (unless already set), so that torch's
worker threads sleep instead of spinning while they wait (on a machine where another process
holds a core, spinning threads made training 15-24x slower); offline mode for the Hugging Face
libraries (nothing is downloaded while the lesson runs); no tokenizer thread pools.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
