"""The packed 4-bit linear layer, and the precision each matrix product runs in.

Each linear layer of the real model keeps the exact float32 matrix the GGUF file encodes as
its ``weight`` (so it can be inspected, counted and trained like any transformers layer) and
also the file's 4-bit levels, packed for torch's 4-bit matrix kernel (:class:`PackedLinear`).
A matrix-vector product reads 4 bits per weight instead of 32, and decoding, one token at a
time, is bound by how fast the weights stream from memory. The output layer's 8-bit levels
are split into two 4-bit halves, so it keeps its exact values too. Only the activations are
rounded, to bfloat16, on their way into the kernel.

Three precisions, chosen per matrix product by the number of rows (tokens) it multiplies:

- up to ``PACKED_MAX_ROWS`` rows (decoding, small batches): the 4-bit kernel;
- more rows (reading a prompt): float32, what plain transformers computes, unless a caller
  asks for :func:`bfloat16_batches` (the probes' scoring does: twice the float32 speed on
  CPUs with bfloat16 dot products, log-probabilities within 0.2 nats);
- :func:`float32_matmuls`: float32 everywhere, the reference the tests compare against.
"""
from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

# Matrix products of at most this many rows use the 4-bit kernel. Measured on 2 cores: at 16
# rows it ties with bfloat16 and beats float32 1.8x; at 1 row it is 5x float32.
PACKED_MAX_ROWS = 16
# Under bfloat16_batches, products of at least this many rows round the weights to bfloat16 on
# the fly. Measured on 2 cores (576 x 1536): at 24 rows that is 1.2-1.5x float32, at 64 rows
# 1.3-1.8x; at 16 rows it ties with float32 (and the 4-bit kernel takes those anyway).
BFLOAT16_MIN_ROWS = 24
GROUP = 32  # weights per Q4_1 / Q8_0 block, and per scale of the 4-bit kernel

# The output layer (49152 rows) is rounded and multiplied this many rows at a time.
LARGE_CHUNK = 8192

_MODE = {"large_rows": "float32", "exact": False, "threads": 0}
_SCRATCH: dict = {}  # shape -> bfloat16 buffer, see bfloat16_weight


@contextlib.contextmanager
def _mode(**changes):
    before = dict(_MODE)
    _MODE.update(changes)
    try:
        yield
    finally:
        _MODE.update(before)


def float32_matmuls():
    """Context: every matrix product in float32, as plain transformers computes it."""
    return _mode(exact=True)


def bfloat16_batches():
    """Context: products of ``BFLOAT16_MIN_ROWS`` rows or more in bfloat16 (about 2x faster)."""
    return _mode(large_rows="bfloat16")


def product_threads(n: int):
    """Context: matrix products of more than one row run on ``n`` threads (0: unchanged).

    Only the products: with threads that sleep between parallel regions (see ``trainlab``),
    waking a second thread costs more than the small element-wise operations around the
    products save (measured: adding two 8 x 51 x 576 tensors took 80-100 us on 2 threads,
    26-38 us on one), while the products themselves run 1.8x faster on 2 cores.
    """
    return _mode(threads=n)


def on_product_threads(function, *args):
    """``function(*args)`` with torch's threads set as :func:`product_threads` asks."""
    n = _MODE["threads"]
    before = torch.get_num_threads()
    if not n or n == before:
        return function(*args)
    torch.set_num_threads(n)
    try:
        return function(*args)
    finally:
        torch.set_num_threads(before)


def bfloat16_weight(weight: torch.Tensor) -> torch.Tensor:
    """``weight`` rounded to bfloat16, in a buffer shared by every weight of its shape.

    Rounded on the fly rather than kept (a kept copy of every matrix would cost 270 MB), and
    into a buffer kept between calls: 3x faster than a new tensor each time, measured. The
    result is valid until the next call for a weight of the same shape.
    """
    buffer = _SCRATCH.get(weight.shape)
    if buffer is None:
        buffer = _SCRATCH[weight.shape] = torch.empty(weight.shape, dtype=torch.bfloat16)
    return buffer.copy_(weight)


def uses_4bit(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """Whether a product of input ``x`` (..., in) and ``weight`` runs through the 4-bit kernel.

    Not when the product must be exact, nor when it must carry gradients to ``weight``.
    """
    if _MODE["exact"] or (torch.is_grad_enabled() and weight.requires_grad):
        return False
    return x.numel() // x.shape[-1] <= PACKED_MAX_ROWS


def int4_matmul(x: torch.Tensor, levels: torch.Tensor, scale_zero: torch.Tensor, repeat: int = 1):
    """``x`` (..., in) times packed 4-bit weights: (..., out) in ``x``'s type."""
    flat = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
    if repeat > 1:
        flat = flat.repeat(1, repeat)
    kernel = torch.ops.aten._weight_int4pack_mm_for_cpu
    if flat.shape[0] > 1:
        out = on_product_threads(kernel, flat, levels, GROUP, scale_zero)
    else:
        out = kernel(flat, levels, GROUP, scale_zero)
    return out.to(x.dtype).reshape(*x.shape[:-1], -1)


class PackedLinear(nn.Linear):
    """An ``nn.Linear`` that also keeps its weights as 4-bit levels for small batches.

    ``weight`` stays the exact float32 matrix. ``levels`` holds the same matrix as integers
    0..15, packed by ``torch.ops.aten._convert_weight_to_int4pack_for_cpu``, with one scale
    and one zero point per group of 32 inputs: ``w = (level - 8) * scale + zero``. A Q4_1
    block ``w = q * d + m`` is that with ``scale = d`` and ``zero = m + 8 d``: no rounding.
    ``repeat`` > 1 means the levels span the input ``repeat`` times (the 8-bit output layer,
    split into a high and a low 4-bit half that add up to it).
    """

    def pack(self, levels: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor) -> PackedLinear:
        """Attach levels (out, in * repeat) int, and per-group scale and zero (out, groups)."""
        # The kernel packs rows independently; a few thousand at a time keeps the int32
        # copy it wants small (the output layer's would be 226 MB at once).
        packed = [torch.ops.aten._convert_weight_to_int4pack_for_cpu(
            chunk.to(torch.int32).contiguous(), 1) for chunk in levels.split(4096)]
        self.register_buffer("levels", torch.cat(packed), persistent=False)
        # The kernel wants (groups, out, 2) in the activations' type.
        scale_zero = torch.stack([scale, zero], -1).transpose(0, 1).contiguous()
        self.register_buffer("scale_zero", scale_zero.to(torch.bfloat16), persistent=False)
        self.repeat = levels.shape[1] // self.in_features
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if uses_4bit(x, self.weight):
            return int4_matmul(x, self.levels, self.scale_zero, self.repeat)
        rows = x.numel() // self.in_features
        if (_MODE["exact"] or _MODE["large_rows"] != "bfloat16" or rows < BFLOAT16_MIN_ROWS
                or (torch.is_grad_enabled() and self.weight.requires_grad)):
            return on_product_threads(F.linear, x, self.weight, self.bias)
        xb = x.to(torch.bfloat16)
        parts = [on_product_threads(F.linear, xb, bfloat16_weight(w)) for w in self.weight.detach().split(LARGE_CHUNK)]
        return (parts[0] if len(parts) == 1 else torch.cat(parts, -1)).to(x.dtype)


def stacked_levels(layers: list[PackedLinear]) -> tuple[torch.Tensor, torch.Tensor]:
    """One packed matrix that computes ``layers`` (same input) in a single 4-bit product.

    The kernel packs output rows independently, so the layers' levels stack row-wise; each
    layer's ``levels`` becomes a view into the stacked tensor, which costs no memory. Returns
    (levels, scale_zero) for :func:`int4_matmul`; the outputs come out side by side.
    """
    levels = torch.cat([layer.levels for layer in layers])
    scale_zero = torch.cat([layer.scale_zero for layer in layers], dim=1).contiguous()
    start = 0
    for layer in layers:
        layer.levels = levels[start:start + layer.out_features]
        start += layer.out_features
    return levels, scale_zero


def pack_q4_1(linear: nn.Linear, q: torch.Tensor, d: torch.Tensor, m: torch.Tensor):
    """Make ``linear`` a ``PackedLinear`` holding Q4_1 levels ``q`` with scales ``d``, offsets ``m``."""
    linear.__class__ = PackedLinear
    return linear.pack(q, d, m + 8 * d)


def pack_q8_0(linear: nn.Linear, q: torch.Tensor, d: torch.Tensor):
    """Q8_0 ``w = d * q``, q in -128..127, as two 4-bit halves of ``u = q + 128 = 16 hi + lo``.

    ``(hi - 8) * 16d + 8d`` plus ``(lo - 8) * d + 0`` is ``16d hi + d lo - 128 d = w``.
    """
    u = q.view(torch.uint8) ^ 0x80  # q + 128, without widening
    levels = torch.cat([u >> 4, u & 15], dim=1)
    scale = torch.cat([16 * d, d], dim=1)
    zero = torch.cat([8 * d, torch.zeros_like(d)], dim=1)
    linear.__class__ = PackedLinear
    return linear.pack(levels, scale, zero)
