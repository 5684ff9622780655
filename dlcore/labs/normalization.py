"""Batch normalization and layer normalization, written out, and a learning-rate sweep.

For activations ``x`` of shape (batch, units):

- BatchNorm (Ioffe & Szegedy, 2015) normalises each **unit** over the batch:
  ``x̂[:, j] = (x[:, j] − μ_j) / √(σ²_j + ε)`` with μ_j, σ²_j the batch mean and (biased) variance
  of unit j, then ``y = γ ⊙ x̂ + β`` with learnable γ (scale) and β (shift). While training it
  uses the batch's statistics and keeps running averages of them; in eval mode it uses those
  averages, so an example's output no longer depends on the rest of its batch.
- LayerNorm (Ba et al., 2016) normalises each **example** over its units:
  ``x̂[i, :] = (x[i, :] − μ_i) / √(σ²_i + ε)``, the same in training and eval, independent of the
  batch — which is why Transformers and RNNs use it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ..config import DataConfig, ModelConfig, TrainConfig
from ..experiments import Comparison, run_all

EPS = 1e-5  # PyTorch's default


def batch_norm(x: torch.Tensor, gamma: torch.Tensor | None = None, beta: torch.Tensor | None = None) -> torch.Tensor:
    """Training-mode BatchNorm of ``x`` (batch, units), statistics over the batch (dim 0)."""
    mu = x.mean(dim=0, keepdim=True)  # (1, units)
    var = x.var(dim=0, unbiased=False, keepdim=True)  # (1, units)
    x_hat = (x - mu) / torch.sqrt(var + EPS)
    return _affine(x_hat, gamma, beta)


def layer_norm(x: torch.Tensor, gamma: torch.Tensor | None = None, beta: torch.Tensor | None = None) -> torch.Tensor:
    """LayerNorm of ``x`` (batch, units), statistics over each example's units (dim 1)."""
    mu = x.mean(dim=1, keepdim=True)  # (batch, 1)
    var = x.var(dim=1, unbiased=False, keepdim=True)  # (batch, 1)
    x_hat = (x - mu) / torch.sqrt(var + EPS)
    return _affine(x_hat, gamma, beta)


def _affine(x_hat: torch.Tensor, gamma: torch.Tensor | None, beta: torch.Tensor | None) -> torch.Tensor:
    if gamma is not None:
        x_hat = x_hat * gamma
    if beta is not None:
        x_hat = x_hat + beta
    return x_hat


def lr_sweep(
    data: DataConfig, model: ModelConfig, train: TrainConfig, norms: tuple[str, ...], lrs: tuple[float, ...],
    device: torch.device | str | None = None,
) -> dict[str, np.ndarray]:
    """Final validation loss of each normalization at each learning rate, same seed and batches.
    A run that diverges scores NaN."""
    out = {}
    for norm in norms:
        comp = Comparison.over(data, replace(model, norm=norm), train, "train.lr", lrs)
        trainers = run_all(comp.trainers(device))
        out[norm] = np.array([np.nan if t.diverged else t.recorder.records[-1].val_loss for t in trainers.values()],
                             dtype=np.float32)
    return out


NORMALIZATION = Comparison.over(
    DataConfig(name="spiral", n_samples=600, noise=0.1),
    ModelConfig(depth=8, width=32, activation="relu"),
    TrainConfig(optimizer="sgd", lr=1.0, steps=300),
    "model.norm",
    ("none", "batch", "layer"),
    ["no normalization", "BatchNorm", "LayerNorm"],
)


def default_experiment(device) -> dict:
    return run_all(NORMALIZATION.trainers(device))
