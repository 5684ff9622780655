"""Instrumentation: what happens inside the network, measured every N steps, returned as data.

``Recorder.capture(model)`` is a ``with`` block that puts forward hooks on each hidden block's
activation and always removes them on exit. While it is open, every forward pass through the
model measures per hidden layer:

- the mean and std of the activations, and a histogram with fixed bins (so histograms of
  different steps line up),
- the dead fraction: units whose output gradient is zero on every example of the pass
  (for ReLU: the unit never fires; Leaky ReLU always keeps slope 0.01, so it has none),
- the inactive fraction: units whose pre-activation is never > 0 (a Leaky ReLU unit can be
  inactive yet still learn; a ReLU unit that is inactive is dead),
- the saturated fraction: outputs on a flat tail (|tanh| > 0.99, sigmoid < 0.01 or > 0.99).

The trainer adds per weight layer the gradient norm ‖∂L/∂W‖ and the update-to-weight ratio
‖ΔW‖/‖W‖ of the optimizer step, plus train/validation loss and accuracy. Everything is
detached and moved to the CPU; no figure is made here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import activations

N_BINS = 40
HIST_EXAMPLES = 128  # examples per histogram (their values × width units are binned)


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
    def capture(self, model: nn.Module, rows: int | None = None) -> Iterator[None]:
        """Measure every hidden activation during the forward passes made inside the block
        (only the first ``rows`` examples of each batch, if given)."""
        self._pending = []
        handles = []
        for module in model.modules():
            name = getattr(module, "activation_name", None)
            if name is not None:
                hook = self._hook(name, rows)
                handles.append(module.register_forward_hook(hook))
        try:
            yield
        finally:
            for h in handles:
                h.remove()

    def _hook(self, name: str, rows: int | None):
        def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
            self._pending.append((name, output.detach()[:rows]))

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


def grad_norm_per_layer(linears: list[nn.Linear]) -> list[float]:
    """‖∂L/∂W‖ of each weight matrix (0 where no gradient has been computed)."""
    grads = [lin.weight.grad if lin.weight.grad is not None else torch.zeros_like(lin.weight) for lin in linears]
    return torch.stack(torch._foreach_norm(grads)).tolist()  # one fused call, one sync


def update_to_weight_ratio(before: list[torch.Tensor], linears: list[nn.Linear]) -> list[float]:
    """‖W_after − W_before‖ / ‖W_before‖ per layer (a healthy step is often around 1e-3)."""
    deltas = torch._foreach_sub([lin.weight.detach() for lin in linears], before)
    ratio = torch.stack(torch._foreach_norm(deltas)) / torch.stack(torch._foreach_norm(before)).clamp_min(1e-12)
    return ratio.tolist()
