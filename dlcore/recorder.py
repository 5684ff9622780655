"""Instrumentation: what happens inside the network, measured every N steps, returned as data.

The layers to watch are named explicitly, as a list of ``Layer(name, module, activation)``
(or plain ``(name, module[, activation])`` tuples) — any module: ``Linear``, ``Conv2d``, ``GRU``,
``MultiheadAttention``, a whole block. ``Recorder.capture(layers)`` is a ``with`` block that puts
forward hooks on those whose ``activation`` is set and always removes them on exit. While it is
open, every forward pass measures the output of each such layer (a tuple output, as recurrent and
attention layers return, is read at its first element; every non-batch position counts as a unit):

- the mean and std of the activations, and a histogram with fixed bins (so histograms of
  different steps line up),
- the dead fraction: units whose output gradient is zero on every example of the pass
  (for ReLU: the unit never fires; Leaky ReLU always keeps slope 0.01, so it has none),
- the inactive fraction: units whose pre-activation is never > 0 (a Leaky ReLU unit can be
  inactive yet still learn; a ReLU unit that is inactive is dead),
- the saturated fraction: outputs on a flat tail (|tanh| > 0.99, sigmoid < 0.01 or > 0.99).

The trainer adds per layer the gradient norm ‖∂L/∂W‖ and the update-to-weight ratio ‖ΔW‖/‖W‖
of the optimizer step, over the layer's weight matrices and kernels (``weights_of``), plus
train/validation loss and accuracy. Everything is detached and moved to the CPU; no figure is
made here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .layers import activations

N_BINS = 40
HIST_EXAMPLES = 128  # examples per histogram (their values × width units are binned)


@dataclass(frozen=True)
class Layer:
    """One layer to instrument. ``activation`` says how to read its outputs (histogram range,
    what counts as dead or saturated: "relu", "tanh", … or "identity"); ``None`` measures only
    its weights (e.g. the output layer, whose logits are no hidden activation)."""

    name: str
    module: nn.Module
    activation: str | None = None


def as_layers(specs) -> list[Layer]:
    """``Layer``s from ``Layer``s or ``(name, module[, activation])`` tuples."""
    return [s if isinstance(s, Layer) else Layer(*s) for s in specs]


def weights_of(module: nn.Module) -> list[torch.Tensor]:
    """The weight matrices and kernels of a layer (parameters with 2 or more dimensions):
    ``Linear.weight``, ``Conv2d.weight``, a GRU's ``weight_ih``/``weight_hh``, attention's
    projections. Biases and norm scales are left out, as in the usual "gradient norm per layer"."""
    return [p for p in module.parameters() if p.dim() >= 2]


@dataclass(frozen=True)
class ActivationStats:
    """What one hidden layer's outputs looked like on one forward pass."""

    mean: float
    std: float
    hist: np.ndarray  # (N_BINS,) float32 fraction of values per bin; the end bins hold the overflow
    hist_range: tuple[float, float]  # the bins split this interval evenly
    dead_frac: float  # units with zero gradient on every example
    inactive_frac: float  # units whose pre-activation is never > 0
    saturated_frac: float  # outputs on a flat tail of sigmoid / tanh


@dataclass(frozen=True)
class LayerStats:
    """One weight layer at one recorded step. ``act`` is None for the output layer."""

    name: str
    grad_norm: float  # ‖∂L/∂W‖ on the mini-batch of that step (before any clipping)
    update_ratio: float  # ‖ΔW‖ / ‖W‖ of that step's update (NaN at step 0: no update yet)
    weight_norm: float
    act: ActivationStats | None


@dataclass(frozen=True)
class Record:
    """The whole network at one recorded step."""

    step: int
    train_loss: float
    val_loss: float
    train_acc: float
    val_acc: float
    layers: tuple[LayerStats, ...]


def activation_stats(name: str, out: torch.Tensor) -> list[ActivationStats]:
    """Statistics of layers' outputs ``out`` (layers, batch, width).

    All layers are measured together (a few tensor operations, one device sync), which keeps
    the recorder cheap enough to run every few steps. A unit is inactive when its input is never
    > 0; every activation here has f(z) ≤ f(0) exactly when z ≤ 0, so the outputs tell.
    """
    out = out.detach().float()  # (L, B, W)
    n_layers = out.shape[0]
    low, high = activations.HIST_RANGE.get(name, activations.DEFAULT_HIST_RANGE)
    sample = out[:, :HIST_EXAMPLES]  # histograms need far fewer values than the other stats
    bins = ((sample.clamp(low, high) - low) * (N_BINS / (high - low))).long().clamp_(0, N_BINS - 1)
    bins += N_BINS * torch.arange(n_layers, device=out.device).view(-1, 1, 1)  # a bin range per layer
    counts = torch.bincount(bins.flatten(), minlength=n_layers * N_BINS).view(n_layers, N_BINS)
    hist = counts / sample[0].numel()
    off = activations.value_at_zero(name)
    inactive = (out.amax(dim=1) <= off).float().mean(dim=1)  # (L,) units whose input is never > 0
    dead = inactive if name == "relu" else torch.zeros_like(inactive)
    saturated = activations.saturated_mask(name, out)
    saturated = torch.zeros_like(inactive) if saturated is None else saturated.float().mean(dim=(1, 2))
    flat = out.reshape(n_layers, -1)
    mean = flat.mean(dim=1, keepdim=True)
    centred = flat - mean
    std = (centred * centred).mean(dim=1).sqrt()  # population std; faster than Tensor.std on CPU
    scalars = torch.stack([mean[:, 0], std, dead, inactive, saturated], dim=1).tolist()  # one sync
    hist = hist.float().cpu().numpy()
    return [
        ActivationStats(mean, std, hist[i], (low, high), dead_f, inactive_f, sat_f)
        for i, (mean, std, dead_f, inactive_f, sat_f) in enumerate(scalars)
    ]


@dataclass
class Recorder:
    """Collects a ``Record`` every ``every`` steps. Hooks live only inside ``capture``."""

    every: int = 10
    records: list[Record] = field(default_factory=list)
    _pending: list[tuple[str, torch.Tensor]] = field(default_factory=list, repr=False)

    def due(self, step: int) -> bool:
        return step % self.every == 0

    @contextmanager
    def capture(self, layers, rows: int | None = None) -> Iterator[None]:
        """Measure the outputs of ``layers`` (those with an activation) during the forward passes
        made inside the block (only the first ``rows`` examples of each batch, if given)."""
        self._pending = []
        handles = [
            layer.module.register_forward_hook(self._hook(layer.activation, rows))
            for layer in as_layers(layers)
            if layer.activation is not None
        ]
        try:
            yield
        finally:
            for h in handles:
                h.remove()

    def _hook(self, name: str, rows: int | None):
        def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output) -> None:
            out = output[0] if isinstance(output, tuple) else output  # GRU/attention: (output, state)
            out = out.detach()[:rows]
            self._pending.append((name, out.reshape(len(out), -1)))  # (batch, units)

        return hook

    def take_activations(self) -> list[ActivationStats]:
        """Stats of the activations captured since the last call, in layer order; clears them.
        Consecutive layers with the same activation and shape are measured in one go."""
        taken, self._pending = self._pending, []
        stats: list[ActivationStats] = []
        i = 0
        while i < len(taken):
            name, out = taken[i]
            j = i + 1
            while j < len(taken) and taken[j][0] == name and taken[j][1].shape == out.shape:
                j += 1
            stats += activation_stats(name, torch.stack([t[1] for t in taken[i:j]]))  # (layers, batch, width)
            i = j
        return stats

    def add(self, record: Record) -> None:
        self.records.append(record)

    def series(self, attribute: str) -> np.ndarray:
        """A scalar of every record over time, e.g. ``series("val_loss")``: (n_records,)."""
        return np.array([getattr(r, attribute) for r in self.records], dtype=np.float32)

    def layer_series(self, attribute: str) -> np.ndarray:
        """A per-layer quantity over time: (n_records, n_layers). Activation fields
        (``act.std``, ``act.dead_frac``…) cover the hidden layers only."""
        if attribute.startswith("act."):
            key = attribute[4:]
            rows = [[getattr(s.act, key) for s in r.layers if s.act is not None] for r in self.records]
        else:
            rows = [[getattr(s, attribute) for s in r.layers] for r in self.records]
        return np.array(rows, dtype=np.float32)

    def histograms(self, layer: int) -> np.ndarray:
        """Activation histograms of hidden ``layer`` over time: (n_records, N_BINS)."""
        return np.stack([r.layers[layer].act.hist for r in self.records])

    def steps(self) -> np.ndarray:
        return np.array([r.step for r in self.records], dtype=np.int64)

    def rows(self) -> list[dict]:
        """Every record as one flat row (for a CSV): the step, the losses and accuracies, and per
        layer its gradient norm, update ratio, weight norm and activation mean, std, dead and
        saturated fractions."""
        out = []
        for r in self.records:
            row = {"step": r.step, "train_loss": r.train_loss, "val_loss": r.val_loss,
                   "train_acc": r.train_acc, "val_acc": r.val_acc}
            for s in r.layers:
                row |= {f"{s.name}: grad_norm": s.grad_norm, f"{s.name}: update_ratio": s.update_ratio,
                        f"{s.name}: weight_norm": s.weight_norm}
                if s.act is not None:
                    row |= {f"{s.name}: act_{k}": getattr(s.act, k)
                            for k in ("mean", "std", "dead_frac", "saturated_frac")}
            out.append(row)
        return out


def grad_norm_per_layer(layers) -> list[float]:
    """‖∂L/∂W‖ of each layer, over its weight matrices (0 where no gradient has been computed).
    ``layers`` are ``Layer``s, tuples, or bare modules (``nn.Linear``…)."""
    groups = [_weights(layer) for layer in layers]
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for g in groups for p in g]
    return _per_layer(torch._foreach_norm(grads), groups)  # one fused call, one sync


def update_to_weight_ratio(before: list[torch.Tensor], layers) -> list[float]:
    """‖W_after − W_before‖ / ‖W_before‖ per layer (a healthy step is often around 1e-3).
    ``before`` holds the weights of every layer in order, as ``weight_snapshot`` returns them."""
    groups = [_weights(layer) for layer in layers]
    after = [p.detach() for g in groups for p in g]
    deltas = _per_layer(torch._foreach_norm(torch._foreach_sub(after, before)), groups, as_list=False)
    sizes = _per_layer(torch._foreach_norm(before), groups, as_list=False)
    return (deltas / sizes.clamp_min(1e-12)).tolist()


def weight_snapshot(layers) -> list[torch.Tensor]:
    """Copies of every layer's weights, flat in layer order (for ``update_to_weight_ratio``)."""
    return [p.detach().clone() for layer in layers for p in _weights(layer)]


def weight_norm_per_layer(layers) -> list[float]:
    groups = [_weights(layer) for layer in layers]
    return _per_layer(torch._foreach_norm([p.detach() for g in groups for p in g]), groups)


def _weights(layer) -> list[torch.Tensor]:
    if isinstance(layer, nn.Module):
        return weights_of(layer)
    return weights_of(layer.module if isinstance(layer, Layer) else layer[1])


def _per_layer(norms, groups, as_list: bool = True):
    """Combine per-tensor norms into one norm per layer: √(Σ‖W_i‖²) over the layer's tensors."""
    norms = torch.stack(norms)
    if all(len(g) == 1 for g in groups):  # the common case (Linear, Conv2d): nothing to combine
        out = norms
    else:
        index = torch.tensor([i for i, g in enumerate(groups) for _ in g], device=norms.device)
        out = torch.zeros(len(groups), device=norms.device, dtype=norms.dtype).index_add_(0, index, norms**2).sqrt()
    return out.tolist() if as_list else out
