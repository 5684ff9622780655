"""The multi-layer perceptron every page trains, built from a ``ModelConfig``.

    x ─ Block 1 ─ Block 2 ─ … ─ Block depth ─ Linear (head) ─ logits
    Block = Linear -> [BatchNorm | LayerNorm] -> activation -> [Dropout]

With ``residual=True``, blocks 2…depth compute ``h + Block(h)``, so the gradient has a path
around every block (the identity's derivative is 1). Block 1 changes the width, so it has no skip.
"""

from __future__ import annotations

import torch
from torch import nn

from . import activations
from .config import ModelConfig
from .initialization import init_linear, resolve


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


class Block(nn.Module):
    """One hidden layer: Linear -> [norm] -> activation -> [dropout]."""

    def __init__(self, n_in: int, n_out: int, cfg: ModelConfig, seed: int):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        norms = {"batch": lambda: nn.BatchNorm1d(n_out), "layer": lambda: nn.LayerNorm(n_out)}
        self.norm = norms[cfg.norm]() if cfg.norm in norms else nn.Identity()
        self.act = activations.module(cfg.activation)
        self.act.activation_name = cfg.activation  # read by the recorder
        self.dropout = InvertedDropout(cfg.dropout, seed) if cfg.dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.act(self.norm(self.linear(x))))  # (batch, n_out)


class MLP(nn.Module):
    """``depth`` hidden blocks of ``width`` units and a linear head producing class logits."""

    def __init__(self, n_in: int, n_out: int, cfg: ModelConfig, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        widths = [n_in] + [cfg.width] * cfg.depth
        self.blocks = nn.ModuleList(
            Block(a, b, cfg, seed=seed * 1000 + i) for i, (a, b) in enumerate(zip(widths, widths[1:]))
        )
        self.head = nn.Linear(cfg.width, n_out)
        generator = torch.Generator().manual_seed(seed)
        scheme = resolve(cfg.init, cfg.activation)
        for block in self.blocks:
            init_linear(block.linear, scheme, generator, bias=cfg.bias_init)
        # The head gets Xavier whatever the hidden scheme (zeros excepted, to show symmetry).
        init_linear(self.head, "zeros" if scheme == "zeros" else "xavier_normal", generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x  # (batch, n_in)
        for i, block in enumerate(self.blocks):
            h = h + block(h) if (self.cfg.residual and i > 0) else block(h)  # (batch, width)
        return self.head(h)  # (batch, n_out)

    def linears(self) -> list[nn.Linear]:
        """Every weight layer in order: the hidden blocks' then the head."""
        return [b.linear for b in self.blocks] + [self.head]

    def layer_names(self) -> list[str]:
        return [f"layer {i + 1}" for i in range(len(self.blocks))] + ["output"]


def build(n_in: int, n_out: int, cfg: ModelConfig, seed: int = 0) -> MLP:
    """An initialised MLP on the CPU (move it with ``.to(device)``)."""
    return MLP(n_in, n_out, cfg, seed)
