"""Data sets: seeded 2-D toys and the 8×8 handwritten digits, split into train and validation.

Every toy set is drawn from a ``numpy`` generator seeded by ``DataConfig.seed``: the same config
gives the same points on every machine. The digits ship in ``assets/digits.npz`` (see
``assets/DATA.md`` for the source and licence), so nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .config import DataConfig

DIGITS_PATH = Path(__file__).resolve().parent.parent / "assets" / "digits.npz"


@dataclass(frozen=True)
class Dataset:
    """Tensors ready to train on. ``x_*`` float32 (n, n_features); ``y_*`` int64 class ids (n,)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    n_features: int
    n_classes: int
    name: str

    def to(self, device: torch.device) -> Dataset:
        move = {k: getattr(self, k).to(device) for k in ("x_train", "y_train", "x_val", "y_val")}
        return Dataset(**move, n_features=self.n_features, n_classes=self.n_classes, name=self.name)


def circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 inside a disc of radius 0.5·R, class 0 on a ring around it."""
    radius = np.concatenate([rng.uniform(0, 0.5, n // 2), rng.uniform(0.7, 1.0, n - n // 2)])
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)  # (n, 2)
    y = (radius < 0.6).astype(np.int64)
    return x + noise * 0.5 * rng.standard_normal(x.shape), y


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points in [-1, 1]²; the class is whether x and y have the same sign."""
    x = rng.uniform(-1, 1, (n, 2))
    x += np.sign(x) * 0.05  # a thin margin on the axes
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x + noise * 0.5 * rng.standard_normal(x.shape), y


def gaussians(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two round blobs at (±0.5, ±0.5); noise widens them until they overlap."""
    y = rng.integers(0, 2, n)
    centers = np.where(y[:, None] == 1, 0.5, -0.5)  # (n, 1) broadcast to both coordinates
    return centers + (0.15 + noise) * rng.standard_normal((n, 2)), y.astype(np.int64)


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved arms turning 1.5 times around the origin."""
    y = np.arange(n) % 2
    t = rng.uniform(0.05, 1.0, n)
    angle = 3 * np.pi * t + np.pi * y
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return x + noise * 0.2 * rng.standard_normal(x.shape), y.astype(np.int64)


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the classic 'moons')."""
    y = np.arange(n) % 2
    angle = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    x = np.where(y[:, None] == 0, upper, lower) - np.array([0.5, 0.25])
    return (x + noise * 0.5 * rng.standard_normal(x.shape)) / 1.2, y.astype(np.int64)


TOY_SETS = {"circle": circle, "xor": xor, "gaussians": gaussians, "spiral": spiral, "moons": moons}


@lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    with np.load(DIGITS_PATH) as f:
        images, target = f["images"], f["target"]
    x = images.reshape(len(images), 64).astype(np.float32) / 16.0  # pixels in [0, 1]
    return x, target.astype(np.int64)


def digits_images() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digit images, (n, 8, 8) float32 in [0, 1], and their labels (n,)."""
    x, y = _digits_arrays()
    return x.reshape(-1, 8, 8).copy(), y.copy()


def make_arrays(cfg: DataConfig) -> tuple[np.ndarray, np.ndarray]:
    """The whole data set as arrays (before the split), features float32, labels int64."""
    if cfg.name == "digits":
        x, y = _digits_arrays()
        return x.copy(), y.copy()
    rng = np.random.default_rng(cfg.seed)
    x, y = TOY_SETS[cfg.name](cfg.n_samples, cfg.noise, rng)
    return x.astype(np.float32), y


def load(cfg: DataConfig, device: torch.device | str = "cpu") -> Dataset:
    """Make the data set of ``cfg``, shuffle it with the config's seed, split, move to ``device``."""
    x, y = make_arrays(cfg)
    order = np.random.default_rng(cfg.seed + 1).permutation(len(x))[: cfg.n_samples]
    n_val = max(1, int(round(cfg.val_fraction * len(order))))  # of the samples used, not of all digits
    val, train = order[:n_val], order[n_val:]
    if cfg.name == "digits":  # centre the pixels with the training mean only
        x = x - x[train].mean(axis=0)
    ds = Dataset(
        x_train=torch.from_numpy(x[train]),
        y_train=torch.from_numpy(y[train]),
        x_val=torch.from_numpy(x[val]),
        y_val=torch.from_numpy(y[val]),
        n_features=x.shape[1],
        n_classes=int(y.max()) + 1,
        name=cfg.name,
    )
    return ds.to(torch.device(device))
