"""Test sets derived from a validation set (shifted, rotated, noisy copies), built once per set.

A page that measures a network on varied copies of its validation digits does so at every frame of
every run, and every run and snapshot of an experiment shares one validation tensor: the copies are
built the first time and kept with a weak reference to the tensor they came from, the last few only.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

import torch

T = TypeVar("T")
KEEP = 16  # derived sets kept (each a few MB at most)

_CACHE: dict[tuple[int, str], tuple[weakref.ref, object]] = {}
_LOCK = threading.Lock()  # sessions' threads measure at once


def derived(x: torch.Tensor, name: str, build: Callable[[torch.Tensor], T]) -> T:
    """``build(x)``, built once per tensor ``x`` and ``name`` (a tensor that is gone, or another
    tensor that happens to get its id, is built afresh). ``build`` must not change ``x``."""
    key = (id(x), name)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is None or hit[0]() is not x:
            hit = (weakref.ref(x), build(x))
            while len(_CACHE) >= KEEP:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = hit
    return hit[1]  # type: ignore[return-value]
