"""A KV cache that allocates its full length once: each step writes in place and attends over a view.

transformers' DynamicCache concatenates keys and values at every step (quadratic copying: over a third of
decode time on a small model on CPU); its StaticCache avoids the copy but attends over the whole
preallocated length at every step. This one does neither.
"""

from __future__ import annotations

import torch
from transformers.cache_utils import Cache, DynamicLayer


class PreallocatedLayer(DynamicLayer):
    """One layer's keys and values in buffers of `capacity` positions, filled left to right."""

    capacity = 0  # set by preallocated_cache()

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        batch, heads, _, dim = key_states.shape
        self.device = key_states.device
        self._key_buf = key_states.new_empty((batch, heads, self.capacity, dim))
        self._value_buf = value_states.new_empty((batch, heads, self.capacity, value_states.shape[-1]))
        self.length = 0
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
               ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        if end > self.capacity:
            raise RuntimeError(f"KV cache full: {end} positions needed, {self.capacity} allocated")
        self._key_buf[:, :, self.length:end] = key_states
        self._value_buf[:, :, self.length:end] = value_states
        self.length = end
        self.keys, self.values = self._key_buf[:, :, :end], self._value_buf[:, :, :end]
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length if self.is_initialized else 0


def preallocated_cache(capacity: int) -> Cache:
    """A cache holding up to `capacity` positions per row (prompt plus new tokens)."""
    layer = type(f"PreallocatedLayerOf{capacity}", (PreallocatedLayer,), {"capacity": capacity})
    return Cache(layer_class_to_replicate=layer)
