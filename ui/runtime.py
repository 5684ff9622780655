"""Process-wide set-up shared by every page: the device, the CPU thread budget, the allocator and
the garbage collector."""

from __future__ import annotations

import gc

import streamlit as st
import torch

from dlcore import device_name, limit_threads, pick_device
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
    """Once per server process, after the app's imports: take the objects they made (torch, Plotly,
    Streamlit: about 380,000) out of the garbage collector's scans (``gc.freeze``). Every full
    collection walked them all: about 200 ms of CPU, with every session waiting for Python's lock,
    landing in whichever frame or page view happened to trigger it; afterwards it takes about 1 ms.
    Objects made later (sessions, runs) are collected as before. Returns the objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
