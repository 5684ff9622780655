"""Weight initialization, measured: what a freshly built network does to a batch before training.

For each hidden layer ``l`` of an untrained MLP (``h_0 = x``, ``h_l = f(W_l h_{l-1} + b_l)``):

- the forward signal: the std of ``h_l`` over the batch and the units, and a histogram of it;
- the backward signal: ``‖∂L/∂W_l‖`` for the cross-entropy ``L`` of that batch, every weight
  layer including the output layer.

A good scheme keeps both roughly level across depth. Too small a weight variance multiplies
the signal by a factor < 1 at every layer (it vanishes geometrically), too large a variance by a
factor > 1 (it explodes, or a squashing activation saturates).

The probe runs in float64: twenty layers of N(0, 1) weights grow the signal by ~10²⁰, which
float32 could square into infinity when computing a std. The weights are the very values that
float32 training starts from (drawn in float32, then widened); only the arithmetic is wider.

Also here: the empirical variance of a scheme's draws (checked against its formula) and the
spread between hidden units of a layer (exactly 0 after training from zeros: the symmetry problem).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import data as data_mod
from ..config import DataConfig, ModelConfig, TrainConfig
from ..experiments import Comparison, run_all
from ..layers import activations
from ..layers.initialization import init_linear, resolve, target_std
from ..models import build
from ..recorder import grad_norm_per_layer

N_BINS = 40
# Fixed histogram bins, so that a collapsed or exploded layer shows as a pile at 0 or at an edge:
# the output range of tanh and sigmoid; otherwise a window that holds a healthy ReLU layer.
HIST_RANGE = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
DEFAULT_HIST_RANGE = (-1.0, 2.0)
PROBE_EXAMPLES = 256  # training examples in the probe batch
RANDOM_SCHEMES = ("small_normal", "large_normal", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal")
SCHEMES = ("zeros", *RANDOM_SCHEMES)
LABELS = {
    "zeros": "zeros",
    "small_normal": "N(0, 0.01²)",
    "large_normal": "N(0, 1)",
    "xavier_uniform": "Xavier uniform",
    "xavier_normal": "Xavier normal",
    "he_uniform": "He uniform",
    "he_normal": "He normal",
}


@dataclass(frozen=True)
class SignalProfile:
    """One scheme's untrained network on one batch. Hidden layers are numbered 1…depth."""

    scheme: str
    activation: str
    input_std: float  # std of the batch x (layer 0)
    act_std: np.ndarray  # (depth,) float64: std of each hidden layer's output h_l
    act_hist: np.ndarray  # (depth, N_BINS) float32: share of h_l's values per bin (ends hold overflow)
    hist_range: tuple[float, float]  # the bins split this interval evenly
    saturated_frac: np.ndarray  # (depth,) share of outputs on a flat tail (tanh/sigmoid; else 0)
    grad_norm: np.ndarray  # (depth + 1,) float64: ‖∂L/∂W_l‖ of every weight layer, the output's last
    loss: float  # cross-entropy of the batch at initialization (ln K for uniform guesses)


def hidden_outputs(model: nn.Module, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Every hidden block's output and the logits: the MLP's forward pass, kept layer by layer."""
    h, outs = x, []  # (batch, n_in)
    for i, block in enumerate(model.blocks):
        h = h + block(h) if (model.cfg.residual and i > 0) else block(h)  # (batch, width)
        outs.append(h)
    return outs, model.head(h)  # logits: (batch, n_classes)


def histogram(values: torch.Tensor, low: float, high: float, n_bins: int = N_BINS) -> np.ndarray:
    """Share of ``values`` per bin of [low, high]; values outside land in the end bins."""
    v = values.detach().flatten().clamp(low, high)
    idx = ((v - low) * (n_bins / (high - low))).long().clamp_(0, n_bins - 1)
    return (torch.bincount(idx, minlength=n_bins).double() / v.numel()).float().numpy()


def signal_profile(x: torch.Tensor, y: torch.Tensor, n_classes: int, model_cfg: ModelConfig,
                   seed: int = 0) -> SignalProfile:
    """Build the network of ``model_cfg`` (weights drawn with ``seed``) and measure one forward
    and one backward pass on the batch ``x`` (n, n_in), ``y`` (n,)."""
    model = build(x.shape[1], n_classes, model_cfg, seed=seed).double()
    x = x.double()
    outs, logits = hidden_outputs(model, x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    name = model_cfg.activation
    low, high = HIST_RANGE.get(name, DEFAULT_HIST_RANGE)
    stacked = torch.stack([h.detach() for h in outs])  # (depth, batch, width)
    saturated = activations.saturated_mask(name, stacked)
    return SignalProfile(
        scheme=resolve(model_cfg.init, name),
        activation=name,
        input_std=x.std(unbiased=False).item(),
        act_std=stacked.flatten(1).std(dim=1, unbiased=False).numpy(),
        act_hist=np.stack([histogram(h, low, high) for h in stacked]),
        hist_range=(low, high),
        saturated_frac=(np.zeros(len(outs)) if saturated is None
                        else saturated.double().flatten(1).mean(dim=1).numpy()),
        grad_norm=np.array(grad_norm_per_layer(model.linears()), dtype=np.float64),
        loss=loss.item(),
    )


def probe_batch(data_cfg: DataConfig, n: int = PROBE_EXAMPLES) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The first ``n`` training examples of ``data_cfg`` (x (n, n_in), y (n,)) and the class count."""
    ds = data_mod.load(data_cfg)
    return ds.x_train[:n], ds.y_train[:n], ds.n_classes


def compare_schemes(data_cfg: DataConfig, model_cfg: ModelConfig, schemes, seed: int = 0) -> dict[str, SignalProfile]:
    """``signal_profile`` of the same architecture and batch under each scheme."""
    x, y, k = probe_batch(data_cfg)
    return {s: signal_profile(x, y, k, replace(model_cfg, init=s), seed) for s in schemes}


@dataclass(frozen=True)
class WeightDraw:
    """One layer's weights as a scheme draws them, against what the formula says."""

    scheme: str
    fan_in: int
    fan_out: int
    target_var: float  # the formula: 2/(fan_in+fan_out) Xavier, 2/fan_in He, 1e-4, 1, 0
    empirical_var: float  # mean of w² over the drawn matrix (the true mean is 0)
    max_abs: float  # the largest |w| drawn
    bound: float  # uniform schemes: a = √3·std, the edge of U(-a, a); NaN for the others


def weight_draw(scheme: str, fan_in: int, fan_out: int, seed: int = 0) -> WeightDraw:
    """Draw a ``fan_out × fan_in`` layer with ``scheme`` and measure it.

    Uniform schemes use U(-a, a), whose variance is a²/3; so a = √(3·Var) gives
    √(6/(fan_in+fan_out)) for Xavier and √(6/fan_in) for He.
    """
    layer = nn.Linear(fan_in, fan_out)
    init_linear(layer, scheme, torch.Generator().manual_seed(seed))
    w = layer.weight.detach().double()  # (fan_out, fan_in)
    std = target_std(scheme, fan_in, fan_out)
    return WeightDraw(scheme, fan_in, fan_out, std**2, (w**2).mean().item(), w.abs().max().item(),
                      3**0.5 * std if scheme.endswith("uniform") else float("nan"))


def unit_spread(weight: torch.Tensor) -> float:
    """The largest difference between two hidden units' incoming weights: max over inputs j of
    (max_i W[i, j] − min_i W[i, j]) for a weight matrix (units, inputs). 0 means every unit of
    the layer computes the same function."""
    w = weight.detach()  # (units, inputs)
    return (w.amax(dim=0) - w.amin(dim=0)).max().item()


# The largest steps × runs × depth × width² a page agrees to train: 6·10⁸ keeps the worst case
# around 10 s on a 2-core CPU (a 20 × 256 network takes ~20 ms a step there).
MAX_TRAINING_WORK = 6e8


def check_training_work(model_cfg: ModelConfig, steps: int, n_runs: int) -> None:
    """Raise ValueError if ``n_runs`` runs of ``steps`` steps of this network would take too long.

    The work of a step grows like depth × width² (the hidden weight matrices), so the product
    steps × runs × depth × width² is a fair measure of the wait.
    """
    work = steps * n_runs * model_cfg.depth * model_cfg.width**2
    if work > MAX_TRAINING_WORK:
        raise ValueError(
            f"training {n_runs} networks of {model_cfg.depth} × {model_cfg.width} units for {steps} steps "
            f"would take too long here; choose fewer steps, fewer schemes, fewer layers or fewer units"
        )


INIT_SCHEMES = ("zeros", "small_normal", "large_normal", "xavier_normal", "he_normal")
INITIALIZATION = Comparison.over(
    DataConfig(name="digits", n_samples=1797),
    ModelConfig(depth=10, width=64, activation="relu"),
    TrainConfig(optimizer="momentum", lr=0.02, steps=150, batch_size=32),
    "model.init",
    INIT_SCHEMES,
    [LABELS[s] for s in INIT_SCHEMES],
)


def default_experiment(device) -> dict:
    """The page: probe the untrained networks, then train every scheme."""
    compare_schemes(INITIALIZATION.data, INITIALIZATION.model, INIT_SCHEMES)
    return run_all(INITIALIZATION.trainers(device))
