"""Autoencoders: a network trained to give back its own input through a narrow bottleneck.

    x (64) ─ [noise] ─ Linear ─ act ─ Linear ─ z (latent) ─ Linear ─ act ─ Linear ─ x̂ (64)
           └─────────────── encoder ─────────────┘   └────────── decoder ──────────┘

The loss is the reconstruction error ‖x − x̂‖² (mean over pixels): the targets are the inputs.
With a bottleneck narrower than the input (``latent`` < 64, *undercomplete*) the network must
keep what matters most about an image in a few numbers, the code z.

Variants, all from one ``AutoencoderConfig``:

- **linear** (``activation="identity"``): encoder and decoder are affine maps; at its optimum
  the decoder spans the same subspace as PCA's top ``latent`` components (Baldi & Hornik, 1989).
- **denoising** (``noise`` > 0; Vincent et al., 2008): Gaussian noise is added to the input while
  training only (like dropout, the corruption is off in eval mode), and the target stays the
  clean image, so the network learns to remove noise.
- **variational** (``variational=True``; Kingma & Welling, 2014): the encoder gives a mean μ and
  a log-variance log σ² per latent dimension; while training z = μ + σ·ε with ε ~ N(0, I) (the
  *reparameterisation trick*: the randomness sits in ε, so the gradient flows through μ and σ),
  and the loss adds the KL divergence of N(μ, σ²) from the prior N(0, I). In eval mode z = μ.

Noise and ε come from the model's own seeded generators: same seed, same run.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..checks import check, check_choice, check_range
from ..layers import activations
from ..layers.initialization import init_linear, resolve
from ..recorder import Layer

AE_ACTIVATIONS = ("tanh", "relu", "leaky_relu", "gelu", "sigmoid", "identity")


@dataclass(frozen=True)
class AutoencoderConfig:
    """The shape of an autoencoder and which kind it is."""

    n_in: int = 64  # pixels of an input image (8 × 8 digits)
    hidden: int = 64  # units in the encoder's and the decoder's hidden layer
    latent: int = 2  # size of the bottleneck: the code z has this many numbers
    activation: str = "tanh"  # of the hidden layers; "identity" makes the whole network linear
    noise: float = 0.0  # std of the Gaussian noise added to the input while training (> 0: denoising)
    variational: bool = False  # encode a distribution N(μ, σ²) and sample z from it (a VAE)

    def __post_init__(self) -> None:
        for name, value, high in (("number of inputs", self.n_in, 10_000), ("hidden width", self.hidden, 1024),
                                  ("bottleneck size", self.latent, 256)):
            check_range(name, value, 1, high)
            check(float(value).is_integer(), f"{name} must be a whole number, got {value!r}")
        check_choice("activation", self.activation, AE_ACTIVATIONS)
        check_range("input noise", self.noise, 0.0, 5.0)
        check(isinstance(self.variational, bool), f"variational must be True or False, got {self.variational!r}")


class GaussianNoise(nn.Module):
    """Adds N(0, std²) noise to its input while training; the identity in eval mode.

    The noise comes from the module's own generator, seeded at construction, so a run is
    reproducible and never touches the global random state."""

    def __init__(self, std: float, seed: int = 0):
        super().__init__()
        self.std, self.seed = std, seed
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.std == 0.0:
            return x
        if self.generator is None or self.generator.device != x.device:
            self.generator = torch.Generator(device=x.device).manual_seed(self.seed)
        return x + self.std * torch.randn(x.shape, generator=self.generator, device=x.device)

    def extra_repr(self) -> str:
        return f"std={self.std}"


def _mlp(sizes: list[int], activation: str, generator: torch.Generator) -> nn.Sequential:
    """``Sequential(hidden block, …, Linear)``: each hidden block is ``Sequential(Linear, act)``;
    the last layer is linear (a code, or pixels of the centred image)."""
    scheme = resolve("auto", activation)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(a, b)
        last = i == len(sizes) - 2
        init_linear(linear, "xavier_normal" if last else scheme, generator)
        layers.append(linear if last else nn.Sequential(linear, activations.module(activation)))
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Encoder 64 → hidden → latent, decoder latent → hidden → 64 (see the module docstring).

    ``forward(x)`` returns the reconstruction x̂ (batch, n_in). A variational one also keeps the
    last pass's ``mu``, ``logvar`` and per-example ``kl`` (batch,) for its loss to read.
    """

    def __init__(self, cfg: AutoencoderConfig, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        generator = torch.Generator().manual_seed(seed)
        self.corrupt = GaussianNoise(cfg.noise, seed=seed * 1000 + 1)
        code_width = 2 * cfg.latent if cfg.variational else cfg.latent  # μ and log σ² for a VAE
        self.encoder = _mlp([cfg.n_in, cfg.hidden, code_width], cfg.activation, generator)
        self.decoder = _mlp([cfg.latent, cfg.hidden, cfg.n_in], cfg.activation, generator)
        self.eps_generator: torch.Generator | None = None
        self.eps_seed = seed * 1000 + 2
        self.mu: torch.Tensor | None = None
        self.logvar: torch.Tensor | None = None
        self.kl: torch.Tensor | None = None

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code of each input, (batch, latent): z, or μ for a VAE. No noise, no sampling."""
        code = self.encoder(x)  # (batch, latent) or (batch, 2·latent)
        return code[:, : self.cfg.latent]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (batch, n_in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        code = self.encoder(self.corrupt(x))  # (batch, latent) or (batch, 2·latent)
        if not self.cfg.variational:
            return self.decoder(code)
        mu, logvar = code[:, : self.cfg.latent], code[:, self.cfg.latent :].clamp(-10, 10)
        self.mu, self.logvar = mu, logvar
        self.kl = kl_to_standard_normal(mu, logvar)  # (batch,)
        z = reparameterise(mu, logvar, self._eps_generator(x)) if self.training else mu
        return self.decoder(z)  # (batch, n_in)

    def _eps_generator(self, x: torch.Tensor) -> torch.Generator:
        if self.eps_generator is None or self.eps_generator.device != x.device:
            self.eps_generator = torch.Generator(device=x.device).manual_seed(self.eps_seed)
        return self.eps_generator

    def layers(self) -> list[Layer]:
        """What the recorder watches: the hidden layers (with their activation), the code layer
        and the output layer (weights only)."""
        act = self.cfg.activation
        return [Layer("encoder hidden", self.encoder[0], act), Layer("code", self.encoder[1]),
                Layer("decoder hidden", self.decoder[0], act), Layer("output", self.decoder[1])]


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(μ, σ²) ‖ N(0, I) ) per example, summed over latent dimensions: (batch,).

        KL = ½ Σ_j ( μ_j² + σ_j² − 1 − log σ_j² )

    Zero exactly when μ = 0 and σ = 1: the term pulls every code towards the prior."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)


def reparameterise(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = μ + σ·ε with ε ~ N(0, I): a sample of N(μ, σ²) that is a differentiable function of
    μ and σ (the randomness is an input, ε), so backpropagation reaches the encoder."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device)  # (batch, latent)
    return mu + (0.5 * logvar).exp() * eps


def build_autoencoder(cfg: AutoencoderConfig, seed: int = 0) -> Autoencoder:
    """An initialised autoencoder on the CPU (move it with ``.to(device)``)."""
    return Autoencoder(cfg, seed)
