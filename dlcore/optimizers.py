"""Optimizers as the page teaches them: their names, Adam's internal state, learning-rate schedules.

The update rules (g = ∇L, η = learning rate), as ``torch.optim`` implements them:

- SGD:        θ ← θ − η·g
- Momentum:   b ← μ·b + g;            θ ← θ − η·b
  (PyTorch's form: the velocity sums raw gradients and η multiplies it at the end; the
  textbook's v ← μ·v + η·g is the same when η is constant.)
- Nesterov:   b ← μ·b + g;            θ ← θ − η·(g + μ·b)   (the look-ahead, rewritten in θ)
- RMSProp:    v ← α·v + (1 − α)·g²;   θ ← θ − η·g / (√v + ε)      (α = 0.99)
- Adam:       m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²
              m̂ = m / (1 − β₁ᵗ);      v̂ = v / (1 − β₂ᵗ);      θ ← θ − η·m̂ / (√v̂ + ε)
- AdamW:      Adam, plus θ ← θ·(1 − η·λ) applied directly to the weights (decoupled decay).
  Adam's ``weight_decay`` instead adds λ·θ to g, so the decay is divided by √v̂ like any gradient.

With m and v started at zero, the early averages are biased towards zero: after one step
m = (1 − β₁)·g and v = (1 − β₂)·g². The corrections undo exactly that, so Adam's first step is
η·g/|g| = η·sign(g) per coordinate; uncorrected it would be η·(1 − β₁)/√(1 − β₂) ≈ 3.16·η
(β₁ = 0.9, β₂ = 0.999).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .config import SCHEDULE_NAMES
from .trainer import lr_factor

LABELS = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adamw": "AdamW",
}
SCHEDULE_LABELS = {
    "constant": "constant",
    "step": "step (÷10 at 50 %, ÷100 at 75 %)",
    "cosine": "cosine",
    "warmup_cosine": "warm-up (10 %) + cosine",
}


def uncorrected_first_step_factor(beta1: float = 0.9, beta2: float = 0.999) -> float:
    """|Δθ| / η of Adam's first step if m and v were not bias-corrected: (1 − β₁)/√(1 − β₂)."""
    return (1 - beta1) / math.sqrt(1 - beta2)


def adam_effective_steps(optimizer: torch.optim.Optimizer) -> np.ndarray:
    """η·m̂ / (√v̂ + ε) for every parameter an Adam/AdamW optimizer holds, read from its state.

    With the learning rate in force at the last ``step()``, this is the update each weight took
    then (AdamW's decoupled decay left out). The η used is the group's current one: under a
    schedule, that is already the next step's. Returns a flat float64 array (empty before the
    first step).
    """
    out = []
    for group in optimizer.param_groups:
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        for p in group["params"]:
            state = optimizer.state.get(p)
            if not state:
                continue
            t = int(state["step"])
            m_hat = state["exp_avg"] / (1 - b1**t)  # same shape as p
            v_hat = state["exp_avg_sq"] / (1 - b2**t)
            out.append((lr * m_hat / (v_hat.sqrt() + eps)).flatten().double().cpu())
    return torch.cat(out).numpy() if out else np.zeros(0)


def log_histogram(values: np.ndarray, low: float = 1e-8, high: float = 1.0, n_bins: int = 40):
    """Counts of |values| in log-spaced bins from ``low`` to ``high`` (the end bins hold the
    overflow, zeros go to the first). Returns (bin edges (n_bins + 1,), fractions (n_bins,))."""
    edges = np.logspace(math.log10(low), math.log10(high), n_bins + 1)
    a = np.clip(np.abs(values), edges[0], edges[-1])
    counts, _ = np.histogram(a, bins=edges)
    return edges, counts / max(len(values), 1)


def schedule_curve(schedule: str, total: int) -> np.ndarray:
    """The learning-rate factor at each step 0…total−1 (``dlcore.trainer.lr_factor``): (total,)."""
    if schedule not in SCHEDULE_NAMES:
        raise ValueError(f"learning-rate schedule must be one of {', '.join(SCHEDULE_NAMES)}; got {schedule!r}")
    return np.array([lr_factor(schedule, s, total) for s in range(total)])


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    """The learning rate the optimizer will use at its next step (after any schedule)."""
    return float(optimizer.param_groups[0]["lr"])


def variants(lrs: dict[str, float], weight_decay: float = 0.0) -> tuple:
    """``Comparison`` variants, one per optimizer, each with its own learning rate:
    ``(("Adam", (("train.optimizer", "adam"), ("train.lr", 0.003), ("train.weight_decay", 0.0))), …)``."""
    return tuple(
        (LABELS[name], (("train.optimizer", name), ("train.lr", lr), ("train.weight_decay", weight_decay)))
        for name, lr in lrs.items()
    )
