"""The multi-layer perceptron every page trains, built from a ``ModelConfig``.

    x ─ Block 1 ─ Block 2 ─ … ─ Block depth ─ Linear (head) ─ logits
    Block = Linear -> [BatchNorm | LayerNorm] -> activation -> [Dropout]

With ``residual=True``, blocks 2…depth compute ``h + Block(h)``, so the gradient has a path
around every block (the identity's derivative is 1). Block 1 changes the width, so it has no skip.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..layers import activations
from ..layers.dropout import InvertedDropout
from ..layers.initialization import init_linear, resolve
from ..layers.norms import norm_layer
from ..recorder import Layer


class Block(nn.Module):
    """One hidden layer: Linear -> [norm] -> activation -> [dropout]."""

    def __init__(self, n_in: int, n_out: int, cfg: ModelConfig, seed: int):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.norm = norm_layer(cfg.norm, n_out)
        self.act = activations.module(cfg.activation)
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

    def layers(self) -> list[Layer]:
        """What the recorder watches: each hidden block (its Linear's weights; its output, which
        is the activation's in eval mode) and the output layer (weights only)."""
        blocks = [Layer(name, b, self.cfg.activation) for name, b in zip(self.layer_names(), self.blocks)]
        return blocks + [Layer("output", self.head)]


def build(n_in: int, n_out: int, cfg: ModelConfig, seed: int = 0) -> MLP:
    """An initialised MLP on the CPU (move it with ``.to(device)``)."""
    return MLP(n_in, n_out, cfg, seed)
