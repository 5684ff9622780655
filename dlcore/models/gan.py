"""A generative adversarial network for 2-D points: a generator G and a discriminator D, two MLPs.

    G: z ~ N(0, I) of size ``latent``  →  hidden ReLU layers  →  a point x̃ = G(z) in the plane
    D: a point x                      →  hidden ReLU layers  →  one logit, D(x) = σ(logit)

D(x) is D's probability that x is a real data point rather than one of G's. With the
Wasserstein-style loss the same network is a *critic*: its raw output is a score, not a
probability (see ``dlcore.labs.gan``). Both networks are plain MLPs with the same width and depth,
as in GAN Lab; what makes them adversaries is only the losses they are trained on.

Weights are drawn as PyTorch's ``nn.Linear`` draws them (uniform in ±1/√fan_in, weights and
biases), but from a ``torch.Generator`` seeded here: same config and seed, same networks, and
nothing left behind in PyTorch's global random state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..checks import check_range
from ..recorder import Layer

LATENT_SIZES = (1, 2, 4, 8, 16)
WIDTHS = (8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class GANConfig:
    """The two networks of a GAN on 2-D points."""

    latent: int = 2  # size of the noise vector z that G turns into a point (GAN Lab uses 2)
    width: int = 64  # units per hidden layer, in G and in D alike
    depth: int = 2  # hidden layers of each network
    data_dim: int = 2  # size of a data point: 2 (points in the plane)

    def __post_init__(self) -> None:
        check_range("latent size", self.latent, 1, 64)
        check_range("width", self.width, 2, 512)
        check_range("depth", self.depth, 1, 6)
        check_range("data dimension", self.data_dim, 1, 64)


def _mlp(n_in: int, width: int, depth: int, n_out: int) -> nn.Sequential:
    """``depth`` × (Linear → ReLU), then a Linear to ``n_out``."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(n_in if i == 0 else width, width), nn.ReLU()]
    layers.append(nn.Linear(width if depth else n_in, n_out))
    return nn.Sequential(*layers)


@torch.no_grad()
def _init(net: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default ``nn.Linear`` initialisation, U(−1/√fan_in, 1/√fan_in) for weights
    and biases (kaiming_uniform with a = √5), drawn from ``generator``."""
    for m in net.modules():
        if isinstance(m, nn.Linear):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(m.weight.shape[1])
            nn.init.uniform_(m.bias, -bound, bound, generator=generator)


class _Net(nn.Module):
    """An MLP that names its weight layers for the recorder."""

    def __init__(self, n_in: int, n_out: int, cfg: GANConfig, prefix: str):
        super().__init__()
        self.net = _mlp(n_in, cfg.width, cfg.depth, n_out)
        self.prefix = prefix

    def linears(self) -> list[nn.Linear]:
        return [m for m in self.net if isinstance(m, nn.Linear)]

    def layers(self) -> list[Layer]:
        """Every Linear layer: ``G1 … Gn`` or ``D1 … Dn``; the hidden ones are read as ReLU."""
        linears = self.linears()
        return [Layer(f"{self.prefix}{i + 1}", m, "relu" if i < len(linears) - 1 else None)
                for i, m in enumerate(linears)]


class Generator(_Net):
    """G: noise z (batch, latent) → points (batch, data_dim)."""

    def __init__(self, cfg: GANConfig):
        super().__init__(cfg.latent, cfg.data_dim, cfg, "G")

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)  # (batch, data_dim)


class Discriminator(_Net):
    """D: points (batch, data_dim) → logits (batch,); D(x) = σ(logit) is P(x is real)."""

    def __init__(self, cfg: GANConfig):
        super().__init__(cfg.data_dim, 1, cfg, "D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)  # (batch,)


def build_gan(cfg: GANConfig, seed: int = 0) -> tuple[Generator, Discriminator]:
    """G and D, initialised on the CPU from one seeded generator (G first, then D)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):  # nn.Linear's own draws leave the global state as it was
        g, d = Generator(cfg), Discriminator(cfg)
    _init(g, generator)
    _init(d, generator)
    return g, d
