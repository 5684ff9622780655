"""Weight initialization schemes, with the variance each one aims for.

For a layer with ``fan_in`` inputs and ``fan_out`` outputs:

- ``zeros``: W = 0. Every hidden unit computes the same thing and gets the same gradient, so
  they stay identical forever (the symmetry problem).
- ``small_normal``: W ~ N(0, 0.01²). Signals shrink by roughly 0.01·√fan_in per layer: vanish.
- ``large_normal``: W ~ N(0, 1). Signals grow by roughly √fan_in per layer: explode / saturate.
- ``xavier_*`` (Glorot & Bengio, 2010): Var(W) = 2 / (fan_in + fan_out), keeping the variance of
  activations and of gradients roughly constant for activations that are linear around 0
  (tanh, sigmoid's centre). Uniform on [-a, a] with a = √(6 / (fan_in + fan_out)).
- ``he_*`` (He et al., 2015): Var(W) = 2 / fan_in. ReLU zeroes half its inputs, halving the
  second moment; the factor 2 puts it back. Uniform on [-a, a] with a = √(6 / fan_in).
- ``auto``: He for the ReLU family (relu, leaky_relu, gelu), Xavier otherwise.

Biases start at ``bias_init`` (0 by default) in every scheme. All draws take an explicit
``torch.Generator`` so one session's seed never touches another's.
"""

from __future__ import annotations

import math

import torch
from torch import nn

RELU_FAMILY = ("relu", "leaky_relu", "gelu")


def resolve(scheme: str, activation: str) -> str:
    """The concrete scheme: ``auto`` becomes he_normal or xavier_normal."""
    if scheme == "auto":
        return "he_normal" if activation in RELU_FAMILY else "xavier_normal"
    return scheme


def target_std(scheme: str, fan_in: int, fan_out: int) -> float:
    """The standard deviation of the weights that ``scheme`` draws."""
    if scheme == "zeros":
        return 0.0
    if scheme == "small_normal":
        return 0.01
    if scheme == "large_normal":
        return 1.0
    if scheme.startswith("xavier"):
        return math.sqrt(2.0 / (fan_in + fan_out))
    if scheme.startswith("he"):
        return math.sqrt(2.0 / fan_in)
    raise ValueError(f"unknown initialization {scheme!r}")


@torch.no_grad()
def init_linear(layer: nn.Linear, scheme: str, generator: torch.Generator, bias: float = 0.0) -> None:
    """Draw ``layer.weight`` (out, in) by ``scheme`` and set every bias to ``bias``."""
    fan_out, fan_in = layer.weight.shape
    std = target_std(scheme, fan_in, fan_out)
    w = layer.weight
    if scheme == "zeros":
        w.zero_()
    elif scheme.endswith("uniform"):
        bound = math.sqrt(3.0) * std  # U(-a, a) has variance a²/3
        w.copy_(torch.rand(w.shape, generator=generator) * 2 * bound - bound)
    else:
        w.copy_(torch.randn(w.shape, generator=generator) * std)
    if layer.bias is not None:
        layer.bias.fill_(bias)
