"""Dropout: the two scaling conventions, the masks, and Monte-Carlo dropout — returned as data.

While training, dropout keeps each unit with probability q = 1 − p and zeroes the rest, with a
fresh Bernoulli mask m for every example of every mini-batch. The two conventions differ only in
*where* the factor q goes, so that a unit's expected output is the same in both modes:

    inverted (PyTorch, nn.Dropout):  train  y = x · m / q        inference  y = x
    classic  (Srivastava et al.):    train  y = x · m            inference  y = q · x

E[m] = q, so E[train output] = inference output in each convention. Inverted dropout is what
frameworks use because inference is then the plain network: nothing to remember at test time.

Monte-Carlo dropout (Gal & Ghahramani, 2016) leaves dropout on at inference and averages T
stochastic passes: the mean is a prediction, the spread a rough measure of the model's doubt.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import boundary
from ..experiments import OVERFITTING, Comparison, run_all
from ..models import MLP, InvertedDropout

CONVENTIONS = ("inverted", "classic")


def keep_probability(p: float) -> float:
    """q = 1 − p, the probability that a unit survives. ValueError unless 0 ≤ p < 1."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"the dropout rate p must be ≥ 0 and < 1, got {p:g}")
    return 1.0 - p


def bernoulli_mask(shape: tuple[int, ...], p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A float mask of 0s and 1s, each entry 1 with probability q = 1 − p (independently)."""
    q = keep_probability(p)
    return (torch.rand(shape, generator=generator) < q).float()


def inverted_dropout(x: torch.Tensor, p: float, generator: torch.Generator | None = None,
                     training: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """PyTorch's convention. Train: ``y = x · m / q``; inference: ``y = x`` (mask None).

    Returns ``(y, mask)``; same rule as ``nn.Dropout`` and ``dlcore.models.InvertedDropout``.
    """
    q = keep_probability(p)
    if not training:
        return x, None
    m = bernoulli_mask(tuple(x.shape), p, generator)  # same shape as x
    return x * m / q, m


def classic_dropout(x: torch.Tensor, p: float, generator: torch.Generator | None = None,
                    training: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The original paper's convention. Train: ``y = x · m`` (no scaling); inference: ``y = q · x``.

    The syllabus' "activations multiplied by the keep probability at inference" is this form;
    the next layer's weights absorb the constant 1/q, so both conventions train the same network
    up to that factor.
    """
    q = keep_probability(p)
    if not training:
        return q * x, None
    m = bernoulli_mask(tuple(x.shape), p, generator)
    return x * m, m


DROPOUT_FNS = {"inverted": inverted_dropout, "classic": classic_dropout}


@dataclass(frozen=True)
class ConventionComparison:
    """One input vector through both conventions. Arrays are float32, per unit."""

    p: float
    x: np.ndarray  # (units,) the input
    inference: dict[str, np.ndarray]  # convention -> (units,) inference-mode output
    samples: dict[str, np.ndarray]  # convention -> (shown, units) a few training-mode outputs
    train_mean: dict[str, np.ndarray]  # convention -> (units,) mean of `passes` training outputs
    passes: int


def compare_conventions(x: torch.Tensor, p: float, passes: int = 2000, seed: int = 0,
                        shown: int = 3) -> ConventionComparison:
    """Average ``passes`` training-mode outputs of each convention on the same input ``x``
    (units,), and put them next to the inference-mode output. Both conventions see the same
    masks (same seed), so they differ only by where q is applied."""
    if passes < 1:
        raise ValueError(f"the number of passes must be ≥ 1, got {passes}")
    xs = x.detach().float().cpu().expand(passes, -1)  # (passes, units)
    inference, samples, means = {}, {}, {}
    for name, fn in DROPOUT_FNS.items():
        y, _ = fn(xs, p, torch.Generator().manual_seed(seed), training=True)  # (passes, units)
        samples[name] = y[:shown].numpy().astype(np.float32)
        means[name] = y.mean(dim=0).numpy().astype(np.float32)
        inference[name] = fn(x.detach().float().cpu(), p, training=False)[0].numpy().astype(np.float32)
    return ConventionComparison(p, x.detach().float().cpu().numpy(), inference, samples, means, passes)


# ------------------------------------------------------------------ the network's dropout layers
def dropout_layers(model: nn.Module) -> list[InvertedDropout]:
    """The model's dropout modules, in layer order (empty when p = 0)."""
    return [m for m in model.modules() if isinstance(m, InvertedDropout)]


def last_mask(model: nn.Module, layer: int = 0) -> np.ndarray | None:
    """The keep-mask (examples, units) of hidden ``layer`` on the last training mini-batch, as
    0/1 float32 — None before the first step or without dropout. Reading it changes nothing."""
    layers = dropout_layers(model)
    if layer >= len(layers) or layers[layer].last_mask is None:
        return None
    return layers[layer].last_mask.float().cpu().numpy()


@torch.no_grad()
def hidden_before_dropout(model: MLP, x: torch.Tensor, layer: int = 0) -> torch.Tensor:
    """The activations that hidden ``layer``'s dropout receives, (n, width), computed in eval mode
    without touching the model's mode or masks."""
    h = x.to(next(model.parameters()).device)  # (n, n_in)
    for i, block in enumerate(model.blocks):
        a = block.act(block.norm(block.linear(h)))  # (n, width), before dropout
        if i == layer:
            return a.cpu()
        h = h + a if (model.cfg.residual and i > 0) else a  # eval mode: dropout is the identity
    raise ValueError(f"the network has {len(model.blocks)} hidden layers, asked for layer {layer + 1}")


# ------------------------------------------------------------------ Monte-Carlo dropout
@contextmanager
def mc_dropout(model: nn.Module, seed: int = 0) -> Iterator[None]:
    """Dropout on, everything else (BatchNorm) in eval mode, masks from a generator seeded here.

    On exit the model's modes, dropout generators and last masks are put back, so a trainer
    that owns the model continues exactly as if nothing happened.
    """
    modes = {m: m.training for m in model.modules()}
    saved = [(d, d.generator, d.last_mask) for d in dropout_layers(model)]
    device = next(model.parameters()).device
    try:
        model.eval()
        for i, (d, _, _) in enumerate(saved):
            d.train()
            d.generator = torch.Generator(device=device).manual_seed(seed * 1000 + i)
        yield
    finally:
        for d, generator, mask in saved:
            d.generator, d.last_mask = generator, mask
        for m, mode in modes.items():
            m.training = mode


MC_ROWS = 16_384  # rows per forward pass in MC dropout (30 passes over a 40×40 grid would be 48,000)


@dataclass(frozen=True)
class MCPrediction:
    """T stochastic passes of dropout at inference, summarised per example and class."""

    mean: np.ndarray  # (n, n_classes) mean probability over the passes
    std: np.ndarray  # (n, n_classes) standard deviation over the passes
    deterministic: np.ndarray  # (n, n_classes) the usual eval-mode prediction (weight scaling)
    passes: int


@torch.no_grad()
def mc_predict(model: nn.Module, x: torch.Tensor, passes: int = 30, seed: int = 0) -> MCPrediction:
    """Softmax probabilities of ``passes`` forward passes with dropout left on.

    All passes run as one batch (the input repeated ``passes`` times; each row gets its own mask).
    """
    if passes < 1:
        raise ValueError(f"the number of passes must be ≥ 1, got {passes}")
    model = copy.deepcopy(model)  # a private copy: the passes switch modes, and a finished run may be shared
    device = next(model.parameters()).device
    x = x.to(device)  # (n, n_in)
    modes = {m: m.training for m in model.modules()}
    try:
        model.eval()
        deterministic = F.softmax(model(x), dim=1)  # (n, classes)
    finally:
        for m, mode in modes.items():
            m.training = mode
    per_batch = max(1, MC_ROWS // max(len(x), 1))  # passes per forward pass: bounds the memory
    sizes = [min(per_batch, passes - i) for i in range(0, passes, per_batch)]
    with mc_dropout(model, seed):  # masks are drawn row after row, so batching the passes changes none
        probs = torch.cat([F.softmax(model(x.repeat(k, 1)), dim=1) for k in sizes])  # (passes·n, classes)
    probs = probs.view(passes, len(x), -1)  # (passes, n, classes)
    return MCPrediction(probs.mean(0).cpu().numpy(), probs.std(0, correction=0).cpu().numpy(),
                        deterministic.cpu().numpy(), passes)


def mc_probability_grid(model: nn.Module, passes: int = 30, n: int = 40,
                        seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(axis (n,), mean (n, n), std (n, n)) of P(class 1) over the plane of a 2-D toy set."""
    axis, points = boundary.grid(n)
    pred = mc_predict(model, points, passes, seed)
    shape = (n, n)
    return axis, pred.mean[:, 1].reshape(shape).astype(np.float32), pred.std[:, 1].reshape(shape).astype(np.float32)


def generalization_gap(recorder) -> tuple[np.ndarray, np.ndarray]:
    """(steps, validation loss − training loss) at the recorded steps. Both losses are measured
    in eval mode by the trainer, so dropout's noise does not inflate the training loss."""
    return recorder.steps(), recorder.series("val_loss") - recorder.series("train_loss")


# The over-fitting set-up (shared with Regularization), trained with each dropout rate.
DROPOUT_RATES = (0.0, 0.2, 0.5)
DROPOUT = Comparison.over(
    *OVERFITTING,
    "model.dropout",
    DROPOUT_RATES,
    [f"p = {p:g}" for p in DROPOUT_RATES],
)


def default_experiment(device) -> dict:
    return run_all(DROPOUT.trainers(device))
