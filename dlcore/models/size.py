"""How big a network is: the one parameter count every page and the caps use."""

from __future__ import annotations

from torch import nn


def count_parameters(module: nn.Module) -> int:
    """The number of trainable and frozen parameters (weights, biases, norm scales) in ``module``."""
    return sum(p.numel() for p in module.parameters())
