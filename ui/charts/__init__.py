"""Plotly figures built from the engine's data (recorder series, arrays). Nothing here trains.

Fonts are large enough for a projector at the back of a classroom; every label's colour is
fixed by its position in ``PALETTE`` so a run keeps its colour across charts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dlcore import Trainer

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
FONT = dict(size=16)


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def projector() -> bool:
    """Projector mode (a toggle in the sidebar): larger text everywhere."""
    return bool(st.session_state.get("projector", False))


def style(fig: go.Figure, title: str, height: int = 380, **layout) -> go.Figure:
    scale = 1.3 if projector() else 1.0
    fig.update_layout(
        title=dict(text=title, font=dict(size=round(19 * scale))),
        font=dict(size=round(FONT["size"] * scale)),
        height=round(height * (1.15 if projector() else 1.0)),
        margin=dict(l=60, r=20, t=60, b=50),
        legend=dict(font=dict(size=round(15 * scale))),
        **layout,
    )
    return fig


def show(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, key=key, config={"displaylogo": False})


def lines(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    title: str,
    x_title: str,
    y_title: str,
    log_y: bool = False,
    dash: str | None = None,
) -> go.Figure:
    """One line per label: ``{label: (x, y)}``."""
    fig = go.Figure()
    for i, (label, (x, y)) in enumerate(series.items()):
        fig.add_scatter(x=np.asarray(x), y=np.asarray(y, dtype=np.float32), name=label, mode="lines",
                        line=dict(color=color(i), width=3, dash=dash))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, type="log" if log_y else "linear", exponentformat="power")
    return style(fig, title)


def loss_curves(trainers: Mapping[str, Trainer], metric: str = "loss", per_epoch: bool = False) -> go.Figure:
    """Train (dotted) and validation (solid) loss or accuracy of each run, at recorded steps
    (or, with ``per_epoch``, against the passes made over the training set)."""
    fig = go.Figure()
    for i, (label, t) in enumerate(trainers.items()):
        steps = t.recorder.steps()
        if per_epoch:
            n = len(t.dataset.y_train)
            steps = steps * min(t.train_cfg.batch_size, n) / n
        for split, dash in (("train", "dot"), ("val", "solid")):
            fig.add_scatter(
                x=steps, y=t.recorder.series(f"{split}_{metric}"), mode="lines",
                name=f"{label} — {'validation' if split == 'val' else 'train'}",
                legendgroup=label, line=dict(color=color(i), width=3, dash=dash),
            )
    fig.update_xaxes(title="epoch (passes over the training set)" if per_epoch else "step")
    is_loss = metric == "loss"
    fig.update_yaxes(title="cross-entropy loss" if is_loss else "accuracy", type="log" if is_loss else "linear",
                     exponentformat="power")
    return style(fig, f"{'Loss' if is_loss else 'Accuracy'}: train (dotted) and validation (solid)")


def layer_series(trainers: Mapping[str, Trainer], attribute: str, title: str, y_title: str,
                 reduce: str = "mean", log_y: bool = False) -> go.Figure:
    """A per-layer quantity over training, reduced over layers (mean or max), one line per run."""
    series = {}
    for label, t in trainers.items():
        values = t.recorder.layer_series(attribute)  # (records, layers)
        if values.size:
            series[label] = (t.recorder.steps(), getattr(np, reduce)(values, axis=1))
    return lines(series, title, "step", y_title, log_y=log_y)


def histogram_heatmap(trainer: Trainer, layer: int, title: str) -> go.Figure:
    """Activation histograms of one hidden layer over training: x = step, y = value."""
    hists = trainer.recorder.histograms(layer)  # (records, bins)
    low, high = trainer.recorder.records[0].layers[layer].act.hist_range
    n_bins = hists.shape[1]
    centers = low + (np.arange(n_bins) + 0.5) * (high - low) / n_bins
    # One bin can hold most values (ReLU's zeros): colour the share on a log scale so the rest
    # of the distribution stays visible next to it.
    floor = 1e-4
    z = np.log10(np.maximum(hists.T, floor)).astype(np.float32)  # (bins, records)
    ticks = [-4, -3, -2, -1, 0]
    fig = go.Figure(go.Heatmap(
        x=trainer.recorder.steps(), y=centers.astype(np.float32), z=z, zmin=-4, zmax=0, colorscale="Viridis",
        colorbar=dict(title="share", tickvals=ticks, ticktext=["≤0.01 %", "0.1 %", "1 %", "10 %", "100 %"]),
    ))
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="activation value")
    return style(fig, title, height=330)


def decision_boundaries(grids: Mapping[str, tuple[np.ndarray, np.ndarray]],
                        points: tuple[np.ndarray, np.ndarray]) -> go.Figure:
    """One panel per run: P(class 1) over the plane, with the training points on top."""
    labels = list(grids)
    cols = min(len(labels), 5)
    rows = -(-len(labels) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=labels, horizontal_spacing=0.03,
                        vertical_spacing=0.08)
    x, y = points
    for i, label in enumerate(labels):
        axis, p = grids[label]
        r, c = i // cols + 1, i % cols + 1
        fig.add_heatmap(x=axis, y=axis, z=p, zmin=0, zmax=1, colorscale="RdBu", showscale=(i == 0), opacity=0.8,
                        colorbar=dict(title="P(class 1)", len=0.9), row=r, col=c)
        fig.add_scatter(x=x[:, 0], y=x[:, 1], mode="markers", showlegend=False, row=r, col=c,
                        marker=dict(size=6, color=np.where(y == 1, "#08306b", "#fdae61"),
                                    line=dict(width=0.8, color="black")))
        fig.update_xaxes(showticklabels=False, row=r, col=c)
        fig.update_yaxes(showticklabels=False, scaleanchor=f"x{i + 1 if i else ''}", row=r, col=c)
    fig.update_annotations(font=dict(size=16))
    return style(fig, "Decision boundary: P(class 1) in colour, training points on top (dark blue = class 1)",
                 height=300 * rows + 90)


def bars(labels: Sequence[str], values: Sequence[float], title: str, y_title: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(labels), y=np.asarray(values, dtype=np.float32), marker_color=PALETTE[0],
                           text=[f"{v:.2f}" for v in values], textposition="outside"))
    fig.update_yaxes(title=y_title, range=[0, 1.1])
    return style(fig, title, height=330)
