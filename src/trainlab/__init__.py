"""trainlab: the library behind Lesson 2, "How AI models are trained".

The notebook tells the story; this package holds the machinery it imports:
the tiny-model lab, probes of the real SmolLM2 model, plots, widgets and grading tools.

Importing it first sets ``OMP_WAIT_POLICY=PASSIVE`` (unless already set) so that torch's
worker threads sleep instead of spinning while they wait: on a machine where another
process holds a core, spinning threads made training 15-24x slower.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
