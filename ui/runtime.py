"""Process-wide set-up shared by every page: the device and the CPU thread budget."""

from __future__ import annotations

import streamlit as st
import torch

from dlcore import device_name, limit_threads, pick_device


@st.cache_resource
def device() -> torch.device:
    """The device every session trains on (an immutable value, safe to share)."""
    limit_threads()
    return pick_device()


def device_label() -> str:
    return device_name(device())
