"""Plotly figures of the Weight initialization page, built from ``dlcore.init_probe`` data."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlcore import Trainer
from dlcore.labs.initialization import LABELS, SignalProfile
from ui import charts


def _positive(values: np.ndarray) -> list[float | None]:
    """A log axis cannot show 0 (or NaN/inf): those points become gaps."""
    return [float(v) if (np.isfinite(v) and v > 0) else None for v in values]


def forward_signal(profiles: Mapping[str, SignalProfile]) -> go.Figure:
    """Std of each hidden layer's output, the input at layer 0: one line per scheme, log y."""
    fig = go.Figure()
    for i, (scheme, p) in enumerate(profiles.items()):
        y = np.concatenate([[p.input_std], p.act_std])  # (depth + 1,)
        fig.add_scatter(x=np.arange(len(y)), y=_positive(y), name=LABELS[scheme], mode="lines+markers",
                        line=dict(color=charts.color(i), width=3), marker=dict(size=6))
    fig.update_xaxes(title="layer (0 = the input)", dtick=2)
    fig.update_yaxes(title="std of the layer's output", type="log", exponentformat="power")
    return charts.style(fig, "Forward: activation std per layer")


def backward_signal(profiles: Mapping[str, SignalProfile]) -> go.Figure:
    """‖∂L/∂W_l‖ of each weight layer, the output layer last: one line per scheme, log y."""
    fig = go.Figure()
    for i, (scheme, p) in enumerate(profiles.items()):
        fig.add_scatter(x=np.arange(1, len(p.grad_norm) + 1), y=_positive(p.grad_norm), name=LABELS[scheme],
                        mode="lines+markers", line=dict(color=charts.color(i), width=3), marker=dict(size=6))
    depth = len(next(iter(profiles.values())).act_std)
    fig.update_xaxes(title=f"weight layer ({depth + 1} = output)", dtick=2)
    fig.update_yaxes(title="gradient norm ‖∂L/∂W‖", type="log", exponentformat="power")
    return charts.style(fig, "Backward: gradient norm per layer")


def histograms_by_layer(profiles: Mapping[str, SignalProfile]) -> go.Figure:
    """One panel per scheme: x = hidden layer, y = activation value, colour = share of the values
    in the bin on a log scale (a spike at 0 and a wide spread both stay visible)."""
    names = list(profiles)
    cols = len(names) if len(names) <= 5 else 4
    rows = -(-len(names) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[LABELS[s] for s in names],
                        horizontal_spacing=0.04, vertical_spacing=0.16, shared_yaxes=True)
    ticks = dict(tickvals=[-4, -3, -2, -1, 0], ticktext=["≤0.01 %", "0.1 %", "1 %", "10 %", "100 %"])
    for i, scheme in enumerate(names):
        p = profiles[scheme]
        low, high = p.hist_range
        n_bins = p.act_hist.shape[1]
        centers = low + (np.arange(n_bins) + 0.5) * (high - low) / n_bins
        share = np.log10(np.maximum(p.act_hist, 1e-4)).T.astype(np.float32)  # (bins, layers)
        r, c = i // cols + 1, i % cols + 1
        fig.add_heatmap(x=np.arange(1, len(p.act_std) + 1), y=centers.astype(np.float32), z=share,
                        zmin=-4, zmax=0, colorscale="Viridis", showscale=(i == 0),
                        colorbar=dict(title="share", len=0.9, **ticks), row=r, col=c,
                        hovertemplate="layer %{x}<br>value %{y:.2f}<br>log10(share) %{z:.2f}<extra></extra>")
        fig.update_xaxes(title="layer" if r == rows else None, row=r, col=c)
    fig.update_yaxes(title="activation value", col=1)
    fig.update_annotations(font=dict(size=16))
    return charts.style(fig, "Activation histograms per layer (values beyond the edges pile up there)",
                        height=300 * rows + 90)


def weight_heatmaps(weights: Mapping[str, np.ndarray], spreads: Mapping[str, float], layer: int) -> go.Figure:
    """A hidden layer's weight matrix (units × inputs) per run, red < 0 < blue, with the largest
    difference between two units in each panel's title."""
    names = list(weights)
    limit = max([float(np.abs(w).max()) for w in weights.values()] + [1e-6])
    fig = make_subplots(rows=1, cols=len(names), horizontal_spacing=0.08,
                        subplot_titles=[f"{n}: units differ by up to {spreads[n]:.3g}" for n in names])
    for i, name in enumerate(names):
        fig.add_heatmap(z=weights[name].astype(np.float32), zmin=-limit, zmax=limit, colorscale="RdBu",
                        showscale=(i == len(names) - 1), colorbar=dict(title="weight"), row=1, col=i + 1)
        fig.update_xaxes(title="input unit", row=1, col=i + 1)
        fig.update_yaxes(title="hidden unit" if i == 0 else None, autorange="reversed", row=1, col=i + 1)
    fig.update_annotations(font=dict(size=16))
    return charts.style(fig, f"Weights of hidden layer {layer} (one row per unit)", height=420)


def loss_by_scheme(trainers: Mapping[str, Trainer]) -> go.Figure:
    """The shared loss curves, with the y-axis cut at 20 so that a run that explodes
    (N(0, 1) starts near 10⁷) does not flatten every other curve."""
    fig = charts.loss_curves(trainers)
    finite = [v for t in trainers.values() for v in t.recorder.series("val_loss").tolist()
              + t.recorder.series("train_loss").tolist() if math.isfinite(v) and v > 0]
    if finite:
        low, high = min(finite), min(max(finite), 20.0)
        fig.update_yaxes(range=[math.log10(low * 0.8), math.log10(high * 1.25)],
                         tickvals=[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20])
    return fig
