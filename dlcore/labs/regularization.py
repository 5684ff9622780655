"""Regularization: weight decay and early stopping, measured on an over-fitting network.

- **Weight decay** adds a pull towards zero on every weight. As an L2 penalty ``λ/2·‖W‖²`` in the
  loss it adds ``λ·W`` to the gradient; AdamW instead applies it directly,
  ``W ← W − η·λ·W``, outside the adaptive step (Loshchilov & Hutter, 2019) — for plain SGD the
  two are the same thing. Smaller weights mean a smoother function that fits noise less.
- **Early stopping** watches the validation loss and keeps the best checkpoint; it gives up once
  the loss has not improved for ``patience`` evaluations in a row.
- **Memorising random labels** (Zhang et al., 2017, "Understanding deep learning requires
  rethinking generalization"): the same over-fitting network fits training labels that were
  shuffled at random — there is nothing to learn, so what it fits is pure memory, and the
  validation accuracy stays at chance. Capacity alone does not explain why networks generalize.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from .. import data as data_mod
from ..experiments import OVERFITTING, Comparison, run_all
from ..trainer import MLPTrainer


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


def shuffle_labels(ds: data_mod.Dataset, seed: int = 0) -> data_mod.Dataset:
    """The same data set with random *training* labels (a seeded generator): within each true
    class, the examples are dealt out in random order to the classes 0, 1, …, K−1 in turn. So
    the new labels are split evenly between the classes, and they carry no information about the
    true ones — even on these 100 points, not only on average — let alone about x. Validation
    labels stay true.
    """
    generator = torch.Generator().manual_seed(seed)
    y = ds.y_train.clone()
    offset = 0
    for c in range(ds.n_classes):
        idx = torch.nonzero(ds.y_train == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=generator)]
        y[idx] = (torch.arange(len(idx)) + offset) % ds.n_classes
        offset += len(idx)
    return replace(ds, y_train=y)


def trainers(comparison: Comparison, random_labels: bool = False, device=None) -> dict[str, MLPTrainer]:
    """``comparison.trainers(device)``, or with ``random_labels`` the same runs on shuffled
    training labels (each variant's data shuffled by its own data seed) — of the comparison's
    uploaded data when it has one, else of the data set its ``DataConfig`` names."""
    if not random_labels:
        return comparison.trainers(device)
    datasets: dict = {}
    out = {}
    for label, (d, m, t) in comparison.configs().items():
        if d not in datasets:
            ds = data_mod.load(d) if comparison.upload is None else comparison.upload.to_dataset(d)
            datasets[d] = shuffle_labels(ds, d.seed)
        out[label] = MLPTrainer(d, m, t, device=device, dataset=datasets[d])
    return out


def label_agreement(ds: data_mod.Dataset, shuffled: data_mod.Dataset) -> float:
    """The share of training examples whose shuffled label still equals the true one."""
    return float((ds.y_train == shuffled.y_train).float().mean())


# Weight decay on the over-fitting set-up shared with Dropout, with AdamW's decoupled decay.
WEIGHT_DECAYS = (0.0, 0.1, 0.5)
REGULARIZATION = Comparison.over(
    OVERFITTING[0], OVERFITTING[1], replace(OVERFITTING[2], optimizer="adamw"),
    "train.weight_decay", WEIGHT_DECAYS, [f"λ = {wd:g}" for wd in WEIGHT_DECAYS],
)


def default_experiment(device) -> dict:
    return run_all(REGULARIZATION.trainers(device))
