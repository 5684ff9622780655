"""Decision boundaries: a 2-D model's class-1 probability over a grid of the plane."""

from __future__ import annotations

import numpy as np
import torch

EXTENT = (-1.5, 1.5)  # every 2-D toy set lies inside this square


def grid(n: int = 60, extent: tuple[float, float] = EXTENT) -> tuple[np.ndarray, torch.Tensor]:
    """Axis values (n,) and the grid points (n·n, 2) as float32, row-major (y outer, x inner)."""
    axis = np.linspace(extent[0], extent[1], n, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    points = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1))
    return axis, points


def probability_grid(trainer, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """(axis, P(class 1)) where P is (n, n): rows follow y, columns follow x. Computed once per step
    of the run (``Stepwise.memo``): every session drawing a shared finished run gets the same arrays."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        axis, points = grid(n)
        p = trainer.predict_proba(points)[:, 1].numpy().reshape(n, n).astype(np.float32)
        axis.setflags(write=False)  # shared between sessions: read-only
        p.setflags(write=False)
        return axis, p

    return trainer.memo(("probability_grid", n), compute)
