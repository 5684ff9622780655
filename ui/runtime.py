"""Process-wide set-up shared by every page: the device, the CPU thread budget, the allocator and
the garbage collector."""

from __future__ import annotations

import gc

import streamlit as st
import torch

from dlcore import device_name, limit_threads, pick_device
from dlcore.catalog import all_concepts
from dlcore.device import keep_freed_memory


@st.cache_resource
def device() -> torch.device:
    """The device every session trains on (an immutable value, safe to share)."""
    limit_threads()
    keep_freed_memory()
    return pick_device()


def device_label() -> str:
    return device_name(device())


@st.cache_resource
def settle() -> int:
    """Once per server process, at its first page view: import every concept's lab (and what they
    import: scikit-learn, SciPy) and what torch imports at its first optimizer (``torch._dynamo``,
    SymPy): 1–2 s. Then take every object the imports made (about 450,000) out of the garbage
    collector's scans (``gc.freeze``). Every full collection walked them all: 150–200 ms of CPU with
    every session waiting for Python's lock, landing in whichever frame or page view happened to
    trigger it; afterwards it walks only what sessions made since. Objects made later (sessions,
    runs) are collected as before. Returns the objects frozen."""
    for concept in all_concepts():
        concept.lab()
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # the first optimizer imports torch._dynamo, SymPy…
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
