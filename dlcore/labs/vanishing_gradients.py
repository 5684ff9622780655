"""Vanishing and exploding gradients: how the gradient's size changes from layer to layer.

Backpropagation through hidden layers ``h_l = f(z_l)``, ``z_l = W_l h_{l-1} + b_l`` gives

    ∂L/∂h_{l-1} = W_lᵀ · (f′(z_l) ⊙ ∂L/∂h_l)          ∂L/∂W_l = (f′(z_l) ⊙ ∂L/∂h_l) · h_{l-1}ᵀ

so the gradient reaching layer 1 is the output's gradient times a product of depth factors
``W_lᵀ · diag(f′(z_l))``. If a typical factor shrinks vectors (sigmoid: f′ ≤ ¼), the product
shrinks geometrically with depth: the gradient *vanishes* and early layers stop learning. If it
stretches them (large weights, ‖W‖ ≫ 1), it grows geometrically: the gradient *explodes* and one
step can throw the weights to infinity.

This module turns a run's records into the numbers the page shows (per-layer gradient norms,
their gap in orders of magnitude, update-to-weight ratios) and holds the reference rule of
gradient clipping. It returns arrays and dataclasses, never figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from .. import data as data_mod
from ..config import DataConfig, ModelConfig, TrainConfig
from ..experiments import Comparison, run_all
from ..models.mlp import build
from ..recorder import Recorder
from ..trainer import MLPTrainer, Trainer
from ..upload import UploadedData

# log10 of a zero norm is -inf; such values are shown at this floor instead (below any real
# float32 gradient of these networks, so the colour says "nothing arrives").
LOG10_FLOOR = -12.0
HEALTHY_UPDATE_RATIO = 1e-3  # rule of thumb (Karpathy, CS231n): ‖ΔW‖/‖W‖ ≈ 1e-3 per step

# The exploding demo: N(0, 1) weights in 8 ReLU layers multiply the signal by about √16 · √½ ≈ 2.8
# per layer, so the first gradients are ~10³ and one plain SGD step at lr 0.1 blows the weights up.
# Clipping the global norm to 1 caps every step's size and the same network trains.
EXPLODING_MODEL = ModelConfig(depth=8, width=16, activation="relu", init="large_normal")
EXPLODING_TRAIN = TrainConfig(optimizer="sgd", lr=0.1, steps=300, grad_clip=1.0)


@dataclass(frozen=True)
class GradientMap:
    """log₁₀ ‖∂L/∂W_l‖ of every weight layer at every recorded step (pre-clipping)."""

    steps: np.ndarray  # (n_records,) int64
    layers: tuple[str, ...]  # "layer 1" … "layer depth", "output"
    log10_grad_norm: np.ndarray  # (n_records, n_layers) float32, zeros and non-finite at LOG10_FLOOR


@dataclass(frozen=True)
class LayerProfile:
    """Per-layer values at one recorded step."""

    step: int
    layers: tuple[str, ...]
    grad_norm: np.ndarray  # (n_layers,) ‖∂L/∂W_l‖ on that step's mini-batch, before clipping
    update_ratio: np.ndarray  # (n_layers,) ‖ΔW_l‖/‖W_l‖ of that step's update; NaN at step 0


def safe_log10(values: np.ndarray) -> np.ndarray:
    """log₁₀ of non-negative values; 0, NaN and ±inf become ``LOG10_FLOOR`` (or +38 for +inf)."""
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, LOG10_FLOOR)
    positive = np.isfinite(v) & (v > 0)
    out[positive] = np.maximum(np.log10(v[positive]), LOG10_FLOOR)
    out[np.isposinf(v)] = 38.0  # float32's largest power of ten
    return out.astype(np.float32)


def gradient_map(recorder: Recorder) -> GradientMap:
    """The layer × step picture of log₁₀ gradient norms of one run."""
    norms = recorder.layer_series("grad_norm")  # (n_records, n_layers)
    layers = tuple(s.name for s in recorder.records[0].layers) if recorder.records else ()
    return GradientMap(recorder.steps(), layers, safe_log10(norms))


def profile_at(recorder: Recorder, step: int) -> LayerProfile:
    """Per-layer gradient norms and update ratios at the last recorded step ≤ ``step``
    (the first record if none is that early)."""
    if not recorder.records:
        raise ValueError("this run has no recorded steps yet")
    chosen = recorder.records[0]
    for record in recorder.records:
        if record.step <= step:
            chosen = record
    layers = tuple(s.name for s in chosen.layers)
    grads = np.array([s.grad_norm for s in chosen.layers], dtype=np.float64)
    ratios = np.array([s.update_ratio for s in chosen.layers], dtype=np.float64)
    return LayerProfile(chosen.step, layers, grads, ratios)


def gradient_gap(grad_norms: np.ndarray) -> float:
    """log₁₀(‖∂L/∂W_last hidden‖ / ‖∂L/∂W_1‖): how many orders of magnitude the gradient loses
    between the last hidden layer and the first.

    Args:
        grad_norms: per-layer norms, hidden layers first and the output layer last
            (the output layer is left out: its shape, width → classes, differs from the rest).

    Positive = vanishing towards the input (6 means the first layer gets a millionth);
    negative = growing towards the input (exploding); near 0 = healthy flow.
    """
    g = np.asarray(grad_norms, dtype=np.float64)
    if g.size < 2:
        raise ValueError("need at least one hidden layer and the output layer")
    hidden = g[:-1]
    logs = safe_log10(hidden).astype(np.float64)
    return float(logs[-1] - logs[0])


def initial_gradient_norms(data: DataConfig, model: ModelConfig, seed: int = 0) -> np.ndarray:
    """‖∂L/∂W_l‖ of the untrained network on its first mini-batch (the trainer's step-0 record)."""
    trainer = MLPTrainer(data, model, TrainConfig(steps=1, seed=seed))
    return np.array([s.grad_norm for s in trainer.recorder.records[0].layers], dtype=np.float64)


def global_grad_norm(recorder: Recorder) -> np.ndarray:
    """√(Σ_l ‖∂L/∂W_l‖²) at each recorded step: the norm of all weight matrices' gradients
    together, (n_records,). Clipping looks at biases (and norm layers' parameters) too, so
    the norm it compares with the threshold is at least this large."""
    norms = recorder.layer_series("grad_norm").astype(np.float64)  # (n_records, n_layers)
    return np.sqrt((norms**2).sum(axis=1)) if norms.size else np.zeros(0)


def clip_by_global_norm(grads: list[torch.Tensor], max_norm: float) -> tuple[list[torch.Tensor], float]:
    """Gradient clipping by global norm: the reference rule, returning new tensors.

        ‖g‖ = √(Σ_i ‖g_i‖²)  over every parameter's gradient g_i
        g_i ← g_i · min(1, c / ‖g‖)

    Every gradient is scaled by the same factor, so the step keeps its direction and only its
    length is capped at c; below the threshold nothing changes. The trainer calls
    ``torch.nn.utils.clip_grad_norm_``, which does the same in place but divides by
    ``‖g‖ + 1e-6`` (so a clipped norm lands a hair under c, and a zero gradient is safe).

    Args:
        grads: the gradients of all parameters.
        max_norm: the threshold c > 0.
    Returns:
        the clipped gradients and ‖g‖ before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"the clipping threshold must be > 0, got {max_norm:g}")
    total = math.sqrt(sum(float(g.detach().double().pow(2).sum()) for g in grads))
    factor = min(1.0, max_norm / total) if total > 0 else 1.0
    return [g * factor for g in grads], total


def with_and_without_clipping(data: DataConfig, model: ModelConfig, train: TrainConfig,
                              upload: UploadedData | None = None) -> Comparison:
    """One run if ``train.grad_clip`` is 0; otherwise the same network trained twice on the same
    seed and batches, without clipping and with it, so the difference is clipping alone.

    With ``upload`` (a learner's CSV: 2-D points or a table of features) the runs train on it
    instead of the data set ``data`` names; ``data`` still sets the split."""
    if train.grad_clip <= 0:
        return Comparison(data, model, train, (("your network", ()),), upload)
    return Comparison(
        data, model, train,
        (("no clipping", (("train.grad_clip", 0.0),)), (f"clipped at {train.grad_clip:g}", ())), upload,
    )


def exploding_demo(data: DataConfig, steps: int = EXPLODING_TRAIN.steps, seed: int = 0) -> Comparison:
    """The exploding configuration, without and with clipping (see ``EXPLODING_MODEL``)."""
    train = replace(EXPLODING_TRAIN, steps=steps, seed=seed)
    return with_and_without_clipping(replace(data, seed=seed), EXPLODING_MODEL, train)


# Ten sigmoid layers trained by plain SGD: the textbook case of vanishing gradients.
VANISHING_GRADIENTS = Comparison(
    DataConfig(name="circle", n_samples=600, noise=0.1),
    ModelConfig(depth=10, width=16, activation="sigmoid", init="auto"),
    TrainConfig(optimizer="sgd", lr=0.1, steps=300, batch_size=32),
    (("your network", ()),),
)


def default_experiment(device) -> dict:
    return run_all(VANISHING_GRADIENTS.trainers(device))


# ------------------------------------------------------------- can larger weights rescue sigmoid?
# Each sigmoid layer scales the backward signal by about s²·E[σ′(z)²] (weights of std s/√n), and
# E[σ′(z)²] falls only like 1/s once z is spread wide, so a large enough s crosses 1. Xavier is
# s ≈ 1 and He s ≈ √2: far below it. Cancelling sigmoid's ½ mean with the biases
# (b = −½·W·1) turns the network into a tanh network, since σ(x) = ½ + ½·tanh(x/2): with
# u = tanh(z/2), the next layer's u is tanh(¼·W·u) — a tanh network with weight scale s/4.
# (Pennington, Schoenholz & Ganguli 2017; Schoenholz et al. 2017.)
SCALE_MODEL = ModelConfig(depth=20, width=64, activation="sigmoid")
SCALES = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0)


def scale_weights(net, s: float, centred: bool, seed: int = 0) -> None:
    """Redraw every hidden ``Linear`` weight as N(0, s²/n_in) (a seeded generator) and set its
    bias to 0 — or, with ``centred``, to −½·Σ_j W_ij for blocks after the first, which cancels
    the ½ mean of the sigmoid outputs they receive. The head keeps its Xavier weights."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for i, block in enumerate(net.blocks):
            w = block.linear.weight  # (n_out, n_in)
            w.copy_(torch.randn(w.shape, generator=generator) * s / math.sqrt(w.shape[1]))
            block.linear.bias.copy_(-0.5 * w.sum(dim=1) if centred and i > 0 else torch.zeros(w.shape[0]))


def gradient_norms_at_scale(s: float, centred: bool = False, model: ModelConfig = SCALE_MODEL,
                            data: DataConfig | None = None, seed: int = 0, dataset=None) -> np.ndarray:
    """‖∂L/∂W_l‖ of every layer (hidden layers, then the output) of the untrained network whose
    hidden weights have std s/√n_in, on its first mini-batch: the trainer's step-0 record."""
    if not 0 < s <= 100:
        raise ValueError(f"the weight scale s must be in (0, 100], got {s:g}")
    data = data or VANISHING_GRADIENTS.data
    ds = dataset or data_mod.load(replace(data, seed=seed))
    net = build(ds.n_features, ds.n_classes, model, seed=seed)
    scale_weights(net, s, centred, seed)
    trainer = Trainer(net, ds, TrainConfig(optimizer="sgd", steps=1, seed=seed), layers=net.layers(), device="cpu")
    return np.array([st.grad_norm for st in trainer.recorder.records[0].layers], dtype=np.float64)


def scale_sweep(scales=SCALES, centred: bool = False, model: ModelConfig = SCALE_MODEL, seed: int = 0) -> np.ndarray:
    """``gradient_gap`` (orders of magnitude lost from the last hidden layer to the first) at each
    weight scale s, (len(scales),). 0 = no vanishing; positive = vanishing; negative = growing."""
    ds = data_mod.load(replace(VANISHING_GRADIENTS.data, seed=seed))
    return np.array([gradient_gap(gradient_norms_at_scale(s, centred, model, seed=seed, dataset=ds))
                     for s in scales])
