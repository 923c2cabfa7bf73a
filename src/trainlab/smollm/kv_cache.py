"""The key/value cache of :mod:`.lean`: every layer's keys and values, allocated once.

transformers' ``DynamicCache`` concatenates each layer's keys and values anew at every token;
this one is allocated for the rows and tokens a batch will need, and a pass writes its columns
in place. :meth:`KVCache.to_dynamic` turns it into a ``DynamicCache`` for ``model.generate``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class KVCache:
    """Keys and values of every layer: (rows, key/value heads, capacity, head size) each.

    The first ``length`` columns are filled. :meth:`reserve` makes room before a pass writes
    more; a pass that does not keep what it wrote (scoring) leaves ``length`` as it was.
    """

    keys: list
    values: list
    length: int = 0

    @classmethod
    def empty(cls, config, rows: int, capacity: int) -> KVCache:
        heads, size = config.num_key_value_heads, config.hidden_size // config.num_attention_heads
        make = lambda: [torch.zeros(rows, heads, capacity, size) for _ in range(config.num_hidden_layers)]  # noqa: E731
        return cls(make(), make(), 0)

    @property
    def rows(self) -> int:
        return self.keys[0].shape[0]

    @property
    def capacity(self) -> int:
        return self.keys[0].shape[2]

    def reserve(self, extra: int) -> KVCache:
        """Make sure ``extra`` more columns fit; returns self."""
        need = self.length + extra
        if need > self.capacity:
            grow = lambda t: torch.cat([t[:, :, : self.length], t.new_zeros(  # noqa: E731
                t.shape[0], t.shape[1], need - self.length, t.shape[3])], 2)
            self.keys = [grow(t) for t in self.keys]
            self.values = [grow(t) for t in self.values]
        return self

    def repeated(self, rows: int, extra: int) -> KVCache:
        """A new cache holding this one-row cache ``rows`` times, with room for ``extra`` more."""
        grow = lambda t: torch.cat([t[:, :, : self.length].expand(rows, -1, -1, -1), t.new_zeros(  # noqa: E731
            rows, t.shape[1], extra, t.shape[3])], 2)
        return KVCache([grow(t) for t in self.keys], [grow(t) for t in self.values], self.length)

    def layer(self, i: int, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write a pass's new ``key`` and ``value`` of layer ``i`` after the filled columns;
        return every key and value the pass attends to (views, no copy)."""
        start, end = self.length, self.length + key.shape[2]
        self.keys[i][:, :, start:end] = key
        self.values[i][:, :, start:end] = value
        return self.keys[i][:, :, :end], self.values[i][:, :, :end]

    def to_dynamic(self, config):
        """The filled part as a transformers ``DynamicCache`` (for ``model.generate``)."""
        from transformers import DynamicCache

        cache = DynamicCache(config=config)
        for i, (k, v) in enumerate(zip(self.keys, self.values, strict=True)):
            cache.update(k[:, :, : self.length].clone(), v[:, :, : self.length].clone(), i)
        return cache


class PassCache:
    """A shared one-row prefix (the chat template's opening) for a single pass that keeps nothing.

    Scoring alone needs no cache afterwards, so each layer's keys and values are those of the
    prefix, repeated for the rows, then the pass's own, built one layer at a time: a few MB at a
    time instead of every layer's keys and values for the whole batch (64 MB for 16 prompts).
    """

    def __init__(self, prefix: KVCache | None, rows: int):
        self.prefix, self.rows = prefix, rows
        self.length = prefix.length if prefix is not None else 0
        self.capacity = float("inf")

    def layer(self, i: int, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.prefix is None or not self.length:
            return key, value
        old = lambda t: t[:, :, : self.length].expand(self.rows, -1, -1, -1)  # noqa: E731
        return torch.cat([old(self.prefix.keys[i]), key], 2), torch.cat([old(self.prefix.values[i]), value], 2)
