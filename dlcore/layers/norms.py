"""Normalization layers by name: BatchNorm normalises each feature over the batch, LayerNorm each
example over its features (see the Normalization page)."""

from __future__ import annotations

from torch import nn

BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


def norm_layer(name: str, width: int) -> nn.Module:
    """``none`` → identity, ``batch`` → ``BatchNorm1d(width)``, ``layer`` → ``LayerNorm(width)``."""
    if name == "batch":
        return nn.BatchNorm1d(width)
    if name == "layer":
        return nn.LayerNorm(width)
    if name == "none":
        return nn.Identity()
    raise ValueError(f"normalization must be one of none, batch, layer; got {name!r}")
