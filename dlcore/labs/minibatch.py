"""Mini-batch gradients: how noisy is the gradient of a batch of B examples?

The full-batch gradient g = (1/N) Σᵢ ∇ℓᵢ is an average; a mini-batch of B examples drawn at
random estimates it with g_B = (1/B) Σ_{i∈batch} ∇ℓᵢ. The estimate is unbiased (E[g_B] = g) and
its noise shrinks like 1/√B: quadrupling the batch halves the error (for B ≪ N; drawing without
replacement shrinks it a little more, by the factor √((N − B)/(N − 1))).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .. import data as data_mod
from ..config import DataConfig, ModelConfig, TrainConfig
from ..experiments import Comparison, run_all
from ..models import build


@dataclass(frozen=True)
class GradientNoise:
    """Relative error ‖g_B − g‖ / ‖g‖ of mini-batch gradients, per batch size."""

    batch_sizes: tuple[int, ...]
    relative_error: np.ndarray  # (len(batch_sizes),) root-mean-square over draws
    predicted: np.ndarray  # (len(batch_sizes),) σ/√B · √((N−B)/(N−1)), σ measured at B = 1
    cosine: np.ndarray  # (len(batch_sizes),) mean cosine similarity between g_B and g


def flat_grad(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()])  # (n_params,)


def gradient_noise(
    data: DataConfig, model_cfg: ModelConfig, batch_sizes: tuple[int, ...], draws: int = 30, seed: int = 0
) -> GradientNoise:
    """Measure, at initialization, how far mini-batch gradients fall from the full gradient.

    Args:
        batch_sizes: the B values to try (each ≤ the training set's size).
        draws: random batches per B (without replacement inside a batch).
    """
    ds = data_mod.load(data)
    n = len(ds.y_train)
    if not batch_sizes or max(batch_sizes) > n or min(batch_sizes) < 1:
        raise ValueError(f"batch sizes must be between 1 and the training set's size {n}, got {batch_sizes}")
    model = build(ds.n_features, ds.n_classes, model_cfg, seed=seed)
    full = flat_grad(model, ds.x_train, ds.y_train)  # (n_params,)
    # σ² = mean squared distance of a single example's gradient from the full gradient.
    singles = torch.stack([flat_grad(model, ds.x_train[i : i + 1], ds.y_train[i : i + 1]) for i in range(n)])
    sigma = ((singles - full) ** 2).sum(dim=1).mean().sqrt().item()
    generator = torch.Generator().manual_seed(seed)
    rms, cosines = [], []
    for b in batch_sizes:
        grads = torch.stack([
            flat_grad(model, ds.x_train[idx], ds.y_train[idx])
            for idx in (torch.randperm(n, generator=generator)[:b] for _ in range(draws))
        ])  # (draws, n_params)
        rms.append(((grads - full) ** 2).sum(dim=1).mean().sqrt().item() / full.norm().item())
        cosines.append(F.cosine_similarity(grads, full.expand_as(grads), dim=1).mean().item())
    sizes = np.array(batch_sizes, dtype=np.float64)
    predicted = sigma / np.sqrt(sizes) * np.sqrt((n - sizes) / (n - 1)) / full.norm().item()
    return GradientNoise(tuple(batch_sizes), np.array(rms, dtype=np.float32), predicted.astype(np.float32),
                         np.array(cosines, dtype=np.float32))


def epochs(steps: int, batch_size: int, n_train: int) -> float:
    """How many passes over the training set ``steps`` steps of ``batch_size`` make."""
    return steps * min(batch_size, n_train) / n_train


MINIBATCH_SIZES = (4, 16, 64, 100_000)  # the last one is larger than any training set: full batch
MINIBATCH = Comparison.over(
    DataConfig(name="spiral", n_samples=600, noise=0.1),
    ModelConfig(depth=2, width=32),
    TrainConfig(optimizer="adam", lr=0.01, steps=300),
    "train.batch_size",
    MINIBATCH_SIZES,
    ["B = 4", "B = 16", "B = 64", "full batch"],
)


def default_experiment(device) -> dict:
    return run_all(MINIBATCH.trainers(device))
