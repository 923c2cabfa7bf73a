"""The real model's forward pass without transformers' per-call machinery, for inference.

``lm.model(...)`` is what the lesson shows and what the tests compare against. Reading prompts,
scoring answers and greedy decoding call :func:`forward` instead: the same layers, the same
parameters and the same arithmetic (each linear layer's own ``forward``, so the precision rules
of :mod:`.packed` hold here too; transformers' rotary embedding, torch's attention kernel), in
fewer operations. Measured on 2 cores before this module (64 greedy tokens, 1 thread): of 24 ms
a token, 11 ms were the 4-bit products and 13 ms everything around them: transformers' cache
concatenated every layer's keys and values anew at each token (1.4 ms a token), built masks and
position tables, and checked its arguments in Python at every layer.

Here:

- :class:`.kv_cache.KVCache` holds each layer's keys and values in tensors allocated once for
  the rows and tokens a batch will need; a step writes its column in place;
- a one-token step runs every layer in fewer operations still (:func:`_step_layers`: query
  and key rotated together, the 4-bit products and the attention called directly);
- the rotary embedding's cosines and sines are computed once per model for every position
  (the same values: each is one product and one cosine, whatever the batch);
- the attention mask is given once for all layers, as a boolean (rows, 1, new, cached + new);
- logits are computed only where they are asked for (the last token of each row, or the
  positions a scored answer needs), not for every padded position;
- for prompt-sized batches under :func:`.packed.bfloat16_batches`, the feed-forward block runs
  in bfloat16 between its products (the products round their inputs to bfloat16 anyway);
- only the matrix products and the attention run on the prompt-reading threads
  (:func:`.packed.product_threads`); waking a second thread costs more than it saves on the
  small element-wise operations.

Measured after (same machine): decoding 45-54 tokens/s; the three probes 20-22 s, 26.5-30.2 s
with the other core busy (30-36 s before).
"""
from __future__ import annotations

import functools
import weakref

import torch
import torch.nn.functional as F

from trainlab.smollm.kv_cache import KVCache, PassCache
from trainlab.smollm.packed import (
    _MODE,
    BFLOAT16_MIN_ROWS,
    bfloat16_weight,
    int4_matmul,
    on_product_threads,
    uses_4bit,
)

_ROTARY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def rotary_table(model, positions: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(cos, sin) of the model's rotary embedding for positions 0..``positions``-1: (positions, head size)."""
    table = _ROTARY.get(model)
    if table is None or table[0].shape[0] < positions:
        n = max(positions, 1024)
        dummy = torch.zeros(1, dtype=torch.float32)
        cos, sin = model.model.rotary_emb(dummy, torch.arange(n)[None])
        table = (cos[0], sin[0])
        _ROTARY[model] = table
    return table


@functools.cache
def _llama():
    from transformers.models.llama import modeling_llama

    return modeling_llama


def causal_allowed(mask: torch.Tensor, new: int) -> torch.Tensor:
    """The boolean attention mask of ``new`` tokens that end the rows of ``mask`` (rows, total).

    Each new token sees the real tokens (``mask`` 1) up to itself, and always itself, so a
    padding token's row is never empty. Returns (rows, 1, new, total).
    """
    total = mask.shape[1]
    query = torch.arange(total - new, total)[:, None]
    key = torch.arange(total)[None, :]
    allowed = (key <= query)[None] & mask[:, None, :].bool()
    return (allowed | (key == query)[None])[:, None]


def _norm(module, x: torch.Tensor) -> torch.Tensor:
    if x.dtype == torch.float32:
        return F.rms_norm(x, module.weight.shape, module.weight, module.variance_epsilon)
    return module(x)


def _bfloat16_rows(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """Whether a product of ``x`` with ``weight`` runs in bfloat16 (see :mod:`.packed`)."""
    return (not _MODE["exact"] and _MODE["large_rows"] == "bfloat16" and not uses_4bit(x, weight)
            and x.numel() // x.shape[-1] >= BFLOAT16_MIN_ROWS and not torch.is_grad_enabled())


def _qkv(attn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if hasattr(attn, "qkv_levels") and uses_4bit(x, attn.q_proj.weight):
        return int4_matmul(x, attn.qkv_levels, attn.qkv_scale_zero).split(attn.qkv_sizes, -1)
    return attn.q_proj(x), attn.k_proj(x), attn.v_proj(x)


def _mlp(mlp, x: torch.Tensor) -> torch.Tensor:
    if _bfloat16_rows(x, mlp.gate_proj.weight):
        # The products round their inputs to bfloat16 anyway: stay in bfloat16 in between.
        xb = x.to(torch.bfloat16)
        gate = on_product_threads(F.linear, xb, bfloat16_weight(mlp.gate_proj.weight))
        up = on_product_threads(F.linear, xb, bfloat16_weight(mlp.up_proj.weight))
        hidden = mlp.act_fn(gate).mul_(up)
        return on_product_threads(F.linear, hidden, bfloat16_weight(mlp.down_proj.weight)).to(x.dtype)
    return mlp(x)  # the stacked 4-bit product (fused_layers.StackedMLP), or transformers' own


def _step_layers(model, hidden, cos, sin, allowed, cache) -> torch.Tensor:
    """Every layer for one new token per row through the 4-bit kernel, in few operations.

    What the loop in :func:`forward` computes, with the query and key rotated together (one
    set of element-wise operations for 12 heads instead of two sets), and the 4-bit products
    and the attention called directly. Keys and values go through ``cache.layer`` like the
    loop's, so any cache of :mod:`.kv_cache` serves.
    """
    rows = hidden.shape[0]
    config = model.config
    n_q, n_kv = config.num_attention_heads, config.num_key_value_heads
    head = config.hidden_size // n_q
    cos, sin = cos[:, None], sin[:, None]  # (rows, 1, 1, head): the same for every head
    half = head // 2
    for i, layer in enumerate(model.model.layers):
        attn, mlp = layer.self_attn, layer.mlp
        x = _norm(layer.input_layernorm, hidden)
        heads = int4_matmul(x, attn.qkv_levels, attn.qkv_scale_zero).view(rows, 1, -1, head).transpose(1, 2)
        qk = heads[:, : n_q + n_kv]
        rotated = torch.cat((-qk[..., half:], qk[..., :half]), dim=-1)  # transformers' rotate_half
        qk = (qk * cos) + (rotated * sin)
        keys, values = cache.layer(i, qk[:, n_q:], heads[:, n_q + n_kv:])
        out = F.scaled_dot_product_attention(qk[:, :n_q], keys, values, attn_mask=allowed, scale=attn.scaling,
                                             enable_gqa=True)
        out = out.transpose(1, 2).reshape(rows, 1, -1)
        hidden = hidden + int4_matmul(out, attn.o_proj.levels, attn.o_proj.scale_zero)
        x = _norm(layer.post_attention_layernorm, hidden)
        gate, up = int4_matmul(x, mlp.gate_up_levels, mlp.gate_up_scale_zero).split(mlp.gate_proj.out_features, -1)
        hidden = hidden + int4_matmul(mlp.act_fn(gate) * up, mlp.down_proj.levels, mlp.down_proj.scale_zero)
    return hidden


@torch.inference_mode()
def forward(model, ids: torch.Tensor, positions: torch.Tensor, allowed: torch.Tensor | None,
            cache: KVCache | PassCache, keep: int | None = None, logits_at=None):
    """Run ``ids`` (rows, new) at ``positions`` (rows, new) after what ``cache`` holds.

    ``allowed`` (rows, 1, new, cache.length + new), boolean: which cached and new tokens each
    new token attends to (None: all of them). The new keys and values go to the columns after
    ``cache.length`` (room must be reserved); the cache keeps the first ``keep`` of them (None:
    all), so columns after those are free again. A :class:`.kv_cache.PassCache` keeps nothing.
    ``logits_at``: None for no logits, ``"last"`` for each row's last token (rows, vocab), or
    (row indices, column indices) of the new tokens to compute logits for (n, vocab).
    """
    inner = model.model
    rows, new = ids.shape
    start, end = cache.length, cache.length + new
    if end > cache.capacity:
        raise ValueError(f"the cache has room for {cache.capacity} tokens, the pass needs {end}")
    cos_all, sin_all = rotary_table(model, int(positions.max()) + 1)
    cos, sin = cos_all[positions], sin_all[positions]
    llama = _llama()
    if allowed is None and new > 1:
        raise ValueError("several new tokens need a mask (see causal_allowed)")
    hidden = inner.embed_tokens(ids)
    first = inner.layers[0].self_attn
    if new == 1 and hasattr(first, "qkv_levels") and uses_4bit(hidden, first.q_proj.weight):
        hidden = _step_layers(model, hidden, cos, sin, allowed, cache)
        new_layers = ()
    else:
        new_layers = inner.layers
    head = model.config.hidden_size // model.config.num_attention_heads
    for i, layer in enumerate(new_layers):
        attn = layer.self_attn
        x = _norm(layer.input_layernorm, hidden)
        q, k, v = (t.view(rows, new, -1, head).transpose(1, 2) for t in _qkv(attn, x))
        q, k = llama.apply_rotary_pos_emb(q, k, cos, sin)
        keys, values = cache.layer(i, k, v)
        # What transformers' "sdpa" attention computes, with the key/value heads shared by
        # their query heads inside the kernel instead of copied (3% of a prompt batch's time).
        out = on_product_threads(functools.partial(F.scaled_dot_product_attention, scale=attn.scaling, enable_gqa=True),
                                 q, keys, values, allowed)
        hidden = hidden + attn.o_proj(out.transpose(1, 2).reshape(rows, new, -1))
        hidden = hidden + _mlp(layer.mlp, _norm(layer.post_attention_layernorm, hidden))
    cache.length = end if keep is None else start + keep
    if logits_at is None:
        return None
    picked = hidden[:, -1] if isinstance(logits_at, str) else hidden[logits_at]
    return model.lm_head(_norm(inner.norm, picked))


def decoding_step(model, capacity: int = 64):
    """A function that runs one greedy decoding step per call, as :mod:`.generation` decodes
    (for timing thread counts); it starts over when its cache is full."""
    cache = KVCache.empty(model.config, 1, capacity)
    token = torch.tensor([[100]])

    def step():
        if cache.length == cache.capacity:
            cache.length = 0
        forward(model, token, torch.tensor([[cache.length]]), None, cache, logits_at="last")

    return step
