"""Activation functions, their derivatives (by autograd), and softmax with a temperature.

| name        | f(x)                     | f'(x)                 | range        |
|-------------|--------------------------|-----------------------|--------------|
| relu        | max(0, x)                | 1 if x > 0 else 0     | [0, ∞)       |
| leaky_relu  | x if x > 0 else 0.01·x   | 1 if x > 0 else 0.01  | (-∞, ∞)      |
| sigmoid     | 1 / (1 + e^(-x))         | σ(x)·(1 − σ(x)) ≤ ¼   | (0, 1)       |
| tanh        | (e^x − e^-x)/(e^x + e^-x)| 1 − tanh²(x) ≤ 1      | (-1, 1)      |
| gelu        | x·Φ(x)                   | Φ(x) + x·φ(x)         | ≈[-0.17, ∞)  |
"""

from __future__ import annotations

import torch
from torch import nn

LEAKY_SLOPE = 0.01

MODULES = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}

LABELS = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "gelu": "GELU",
    "identity": "Identity (linear)",
}

# Where each activation's outputs live: used for histogram bins that stay fixed over training.
HIST_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
DEFAULT_HIST_RANGE = (-3.0, 3.0)


def module(name: str) -> nn.Module:
    """A fresh ``nn.Module`` for the activation ``name``."""
    if name not in MODULES:
        raise ValueError(f"activation must be one of {', '.join(MODULES)}; got {name!r}")
    return MODULES[name]()


def curve_and_derivative(name: str, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f(x) and f'(x) at the points ``x`` (1-D); the derivative comes from autograd."""
    x = x.detach().clone().requires_grad_(True)
    y = module(name)(x)
    (dy,) = torch.autograd.grad(y.sum(), x)  # elementwise f, so d(sum f)/dx_i = f'(x_i)
    return y.detach(), dy


def softmax(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """softmax(z / T): T → 0 approaches one-hot argmax, T → ∞ approaches uniform.

    Subtracting max(z) first changes nothing mathematically (softmax is shift-invariant) but
    keeps exp() from overflowing.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature:g}")
    z = logits / temperature
    z = z - z.max(dim=-1, keepdim=True).values
    e = torch.exp(z)
    return e / e.sum(dim=-1, keepdim=True)


def value_at_zero(name: str) -> float:
    """f(0): 0.5 for sigmoid, 0 for the others."""
    return 0.5 if name == "sigmoid" else 0.0


def saturated_mask(name: str, out: torch.Tensor) -> torch.Tensor | None:
    """Where a squashing activation sits on its flat tails (gradient ≈ 0): None if it has none."""
    if name == "sigmoid":
        return (out < 0.01) | (out > 0.99)
    if name == "tanh":
        return out.abs() > 0.99
    return None
