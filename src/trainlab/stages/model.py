"""The tiny language model of the lab: a GPT-2 style config, a local BPE tokenizer, save/load.

The model is ``transformers.GPT2LMHeadModel`` (Radford et al. 2019) built from nanoGPT's size
names (``n_layer``, ``n_head``, ``n_embd``, ``block_size``, ``vocab_size``; karpathy/nanoGPT),
so a student can read the sizes the way nanoGPT writes them and still use TRL's trainers.
The tokenizer is a byte-level BPE trained locally with Hugging Face ``tokenizers`` in a
second or two, wrapped as a ``PreTrainedTokenizerFast`` with one special token, ``<|eos|>``,
used to end documents and answers and to pad.

Example:
    >>> tok = train_tokenizer(["def f(x):\\n    return x\\n"] * 50, vocab_size=300)
    >>> model = build_tiny_lm(TinyConfig(vocab_size=len(tok)))
    >>> parameter_count(model) > 0
    True
"""
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

EOS = "<|eos|>"


@dataclass
class TinyConfig:
    """Model sizes in nanoGPT's names; defaults train on two CPU cores in seconds."""

    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 96
    block_size: int = 64
    vocab_size: int = 512


def train_tokenizer(texts: list[str], vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer on ``texts`` and wrap it for transformers and TRL."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=EOS, pad_token=EOS)


def build_tiny_lm(config: TinyConfig, eos_token_id: int = 0) -> GPT2LMHeadModel:
    """A freshly initialised GPT-2 with the given sizes (no dropout: runs are short)."""
    gpt2 = GPT2Config(
        vocab_size=config.vocab_size,
        n_positions=config.block_size,
        n_embd=config.n_embd,
        n_layer=config.n_layer,
        n_head=config.n_head,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=eos_token_id,
        eos_token_id=eos_token_id,
        pad_token_id=eos_token_id,
    )
    return GPT2LMHeadModel(gpt2)


def parameter_count(model: torch.nn.Module) -> int:
    """Number of parameters (tied input/output embeddings counted once)."""
    return sum(p.numel() for p in model.parameters())


def config_of(model: GPT2LMHeadModel) -> TinyConfig:
    """The nanoGPT-named sizes of a GPT-2 model."""
    c = model.config
    return TinyConfig(n_layer=c.n_layer, n_head=c.n_head, n_embd=c.n_embd, block_size=c.n_positions,
                      vocab_size=c.vocab_size)


def save_tiny_lm(model: GPT2LMHeadModel, tokenizer: PreTrainedTokenizerFast, directory: Path,
                 dtype: torch.dtype = torch.float16) -> None:
    """Save weights as safetensors in ``dtype`` (float16 halves the shipped size) plus the tokenizer."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()
             if k != "lm_head.weight"}  # tied to the token embedding
    save_file(state, directory / "model.safetensors")
    tokenizer.backend_tokenizer.save(str(directory / "tokenizer.json"))
    (directory / "config.json").write_text(json.dumps(asdict(config_of(model)), indent=1) + "\n")


def load_tiny_lm(directory: Path) -> tuple[GPT2LMHeadModel, PreTrainedTokenizerFast]:
    """Load a model saved by :func:`save_tiny_lm`, in float32, in eval mode."""
    directory = Path(directory)
    config = TinyConfig(**json.loads((directory / "config.json").read_text()))
    backend = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=EOS, pad_token=EOS)
    model = build_tiny_lm(config, eos_token_id=tokenizer.eos_token_id)
    state = {k: v.float() for k, v in load_file(directory / "model.safetensors").items()}
    model.load_state_dict(state, strict=False)
    model.tie_weights()
    return model.eval(), tokenizer
