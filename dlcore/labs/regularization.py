"""Regularization: weight decay and early stopping, measured on an over-fitting network.

- **Weight decay** adds a pull towards zero on every weight. As an L2 penalty ``λ/2·‖W‖²`` in the
  loss it adds ``λ·W`` to the gradient; AdamW instead applies it directly,
  ``W ← W − η·λ·W``, outside the adaptive step (Loshchilov & Hutter, 2019) — for plain SGD the
  two are the same thing. Smaller weights mean a smoother function that fits noise less.
- **Early stopping** watches the validation loss and keeps the best checkpoint; it gives up once
  the loss has not improved for ``patience`` evaluations in a row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..experiments import OVERFITTING, Comparison, run_all


@dataclass(frozen=True)
class EarlyStop:
    """Where early stopping would have stopped, and which checkpoint it keeps (record indices)."""

    best: int  # the record with the lowest validation loss seen up to the stop
    stop: int  # the record at which training stops (the last one if patience never ran out)
    triggered: bool  # whether patience ran out before the end


def early_stopping(val_losses: np.ndarray, patience: int, min_delta: float = 0.0) -> EarlyStop:
    """Replay early stopping over a validation curve.

    Args:
        val_losses: validation loss at each recorded step, in order.
        patience: how many evaluations in a row without improvement end training (≥ 1).
        min_delta: an improvement smaller than this does not count.
    """
    if patience < 1:
        raise ValueError(f"patience must be ≥ 1, got {patience}")
    if len(val_losses) == 0:
        raise ValueError("early stopping needs at least one validation loss")
    best, waited = 0, 0
    for i in range(1, len(val_losses)):
        if val_losses[i] < val_losses[best] - min_delta:
            best, waited = i, 0
        else:
            waited += 1
            if waited >= patience:
                return EarlyStop(best, i, True)
    return EarlyStop(best, len(val_losses) - 1, False)


# Weight decay on the over-fitting set-up shared with Dropout, with AdamW's decoupled decay.
WEIGHT_DECAYS = (0.0, 0.1, 0.5)
REGULARIZATION = Comparison.over(
    OVERFITTING[0], OVERFITTING[1], replace(OVERFITTING[2], optimizer="adamw"),
    "train.weight_decay", WEIGHT_DECAYS, [f"λ = {wd:g}" for wd in WEIGHT_DECAYS],
)


def default_experiment(device) -> dict:
    return run_all(REGULARIZATION.trainers(device))
