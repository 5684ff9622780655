"""Inverted dropout with the session's own random generator (see ``InvertedDropout``)."""

from __future__ import annotations

import torch
from torch import nn


class InvertedDropout(nn.Module):
    """Dropout as PyTorch implements it ("inverted" dropout).

    While training, each unit is kept with probability q = 1 − p and the kept ones are scaled
    by 1/q: ``y = x · m / q`` with m ~ Bernoulli(q). In eval mode ``y = x``. Then E[y] = x, so
    the next layer sees the same expected input in both modes.

    The classic form in the original paper (Srivastava et al., 2014) does not scale while
    training and multiplies by q at inference instead. The two differ by the constant factor
    1/q, which the next layer's weights absorb: they agree in expectation, and inverted dropout
    keeps inference untouched. Same rule as ``nn.Dropout``, but the masks come from the
    session's own generator, so runs are reproducible and sessions independent.
    """

    def __init__(self, p: float, seed: int = 0):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout must be ≥ 0 and < 1, got {p:g}")
        self.p = p
        self.seed = seed
        self.generator: torch.Generator | None = None
        self.last_mask: torch.Tensor | None = None  # the most recent training mask, for display

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.generator is None or self.generator.device != x.device:
            self.generator = torch.Generator(device=x.device).manual_seed(self.seed)
        keep = 1.0 - self.p
        mask = torch.rand(x.shape, generator=self.generator, device=x.device) < keep  # (batch, width)
        self.last_mask = mask.detach()
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"p={self.p}"
