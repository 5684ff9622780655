"""Process-wide set-up shared by every page: the device, the CPU thread budget and the allocator."""

from __future__ import annotations

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
