"""Faster decoding steps for the packed model: the same layers, fewer operations per token.

A decoding step of SmolLM2 is ~1000 small operations around 211 matrix products, and at one
token per step the fixed cost of each operation weighs as much as the arithmetic. Three
class swaps, each leaving the module's parameters, names and results as they were:

- ``FusedRMSNorm``: transformers' ``LlamaRMSNorm`` through torch's one fused kernel
  (``F.rms_norm``): the same float32 arithmetic in one operation instead of seven, 61 times
  a token (measured: 8% faster decoding);
- ``StackedAttention``: the query, key and value projections in one 4-bit product;
- ``StackedMLP``: the gate and up projections in one 4-bit product.

The stacked products read the same packed levels (the separate layers' levels become views
into the stacked ones, no extra memory) and give bit-identical outputs: the kernel computes
each output row on its own. Measured side by side: 7 products a layer instead of 4 made
decoding 10% faster. Anything that is not a 4-bit product (a prompt, training, the float32
reference) runs transformers' own forward unchanged.
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from trainlab.smollm.packed import PackedLinear, int4_matmul, stacked_levels, uses_4bit


@functools.cache
def _classes():
    from transformers.models.llama import modeling_llama as llama

    class FusedRMSNorm(llama.LlamaRMSNorm):
        def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
            if hidden_states.dtype != torch.float32:
                return super().forward(hidden_states)
            return F.rms_norm(hidden_states, self.weight.shape, self.weight, self.variance_epsilon)

    class StackedAttention(llama.LlamaAttention):
        def forward(self, hidden_states, position_embeddings=None, attention_mask=None, cache=None, **kwargs):
            if not uses_4bit(hidden_states, self.q_proj.weight):
                return super().forward(hidden_states, position_embeddings, attention_mask, cache, **kwargs)
            # transformers' LlamaAttention.forward, with the three projections as one product.
            input_shape = hidden_states.shape[:-1]
            hidden_shape = (*input_shape, -1, self.head_dim)
            qkv = int4_matmul(hidden_states, self.qkv_levels, self.qkv_scale_zero)
            query, key, value = (t.view(hidden_shape).transpose(1, 2) for t in qkv.split(self.qkv_sizes, -1))
            query, key = llama.apply_rotary_pos_emb(query, key, *position_embeddings)
            if cache is not None:
                key, value = cache.update(key, value, self.layer_idx, kwargs=kwargs)
            attention = llama.ALL_ATTENTION_FUNCTIONS.get_interface(
                self.config._attn_implementation, llama.eager_attention_forward)
            out, weights = attention(self, query, key, value, attention_mask, dropout=0.0,
                                     scaling=self.scaling, **kwargs)
            return self.o_proj(out.reshape(*input_shape, -1).contiguous()), weights

    class StackedMLP(llama.LlamaMLP):
        def forward(self, x):
            if not uses_4bit(x, self.gate_proj.weight):
                return super().forward(x)
            gate, up = int4_matmul(x, self.gate_up_levels, self.gate_up_scale_zero).split(
                self.gate_proj.out_features, -1)
            return self.down_proj(self.act_fn(gate) * up)

    return llama, FusedRMSNorm, StackedAttention, StackedMLP


def fuse_layers(model) -> None:
    """Swap the packed model's norms, attention and MLP blocks for the classes above, in place."""
    llama, fused_norm, stacked_attention, stacked_mlp = _classes()
    for module in model.modules():
        if type(module) is llama.LlamaRMSNorm:
            module.__class__ = fused_norm
        elif type(module) is llama.LlamaAttention and isinstance(module.q_proj, PackedLinear):
            parts = [module.q_proj, module.k_proj, module.v_proj]
            module.qkv_levels, module.qkv_scale_zero = stacked_levels(parts)
            module.qkv_sizes = [p.out_features for p in parts]
            module.__class__ = stacked_attention
        elif type(module) is llama.LlamaMLP and isinstance(module.gate_proj, PackedLinear):
            module.gate_up_levels, module.gate_up_scale_zero = stacked_levels([module.gate_proj, module.up_proj])
            module.__class__ = stacked_mlp
