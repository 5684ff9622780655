"""Figures of the Transformers page, built from ``dlcore.labs.transformer`` data. Nothing here trains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlcore.labs.transformer import AttentionCost, ScalingEffect, SequenceTrainer, anti_diagonal_weight
from ui import charts
from ui.charts import color, style

ATTENTION_SCALE = "Blues"


def head_names(layers: int, heads: int) -> list[str]:
    return [f"layer {i + 1}, head {h + 1}" if layers > 1 else f"head {h + 1}"
            for i in range(layers) for h in range(heads)]


def accuracy_curves(trainers: Mapping[str, SequenceTrainer]) -> go.Figure:
    """Validation accuracy of each run: per digit (dotted) and whole sequences (solid)."""
    data = []
    for i, (label, t) in enumerate(trainers.items()):
        for field, name, dash in (("token_acc", "digits", "dot"), ("sequence_acc", "whole sequences", "solid")):
            steps, acc = t.series(field)
            data.append(dict(type="scatter", x=steps, y=acc, mode="lines", name=f"{label} — {name}",
                             legendgroup=label, line=dict(color=color(i), width=3, dash=dash)))
    title = "Accuracy on validation<br><sub>dotted: digits right; solid: whole sequences right</sub>"
    layout = charts.base_layout(title, height=400, xaxis=charts.axis("step"),
                                yaxis=charts.axis("validation accuracy", range=[0, 1.05]),
                                legend=dict(orientation="h", y=-0.25))
    layout["margin"] |= dict(t=80, b=120)
    return charts.figure(data, layout)


def loss_curves(trainers: Mapping[str, SequenceTrainer]) -> go.Figure:
    """The shared train/validation loss chart (cross-entropy per position), legend below."""
    fig = charts.loss_curves(trainers)
    fig.update_layout(height=400, legend=dict(orientation="h", y=-0.25), margin=dict(b=120))
    return fig


def _heatmap(fig: go.Figure, z: np.ndarray, row: int, col: int, labels: Sequence[str] | None = None,
             zmax: float = 1.0, showscale: bool = False) -> None:
    ticks = list(labels) if labels is not None else [str(i) for i in range(z.shape[-1])]
    fig.add_heatmap(z=z.astype(np.float32), x=ticks, y=ticks, zmin=0, zmax=zmax, colorscale=ATTENTION_SCALE,
                    showscale=showscale, colorbar=dict(title="weight", len=0.8),
                    hovertemplate="query %{y} reads key %{x}: %{z:.2f}<extra></extra>", row=row, col=col)
    fig.update_yaxes(autorange="reversed", row=row, col=col)


def attention_over_training(trainer: SequenceTrainer, columns: int = 5) -> go.Figure:
    """Every head's attention map (mean over the validation sequences), at up to ``columns``
    recorded steps spread over the run so far: rows are heads, columns are steps. Written as plain
    data (``charts.grid_layout``): it is redrawn at every frame of a training run."""
    snaps = trainer.snapshots
    picks = sorted({round(i) for i in np.linspace(0, len(snaps) - 1, min(columns, len(snaps)))})
    cfg = trainer.model_cfg
    names = head_names(cfg.layers, cfg.heads)
    layout = charts.grid_layout(len(names), len(picks), horizontal_spacing=0.02, vertical_spacing=0.04,
                                column_titles=[f"step {snaps[i].step}" for i in picks], row_titles=names)
    ticks = [str(i) for i in range(cfg.length)]
    data = []
    for c, i in enumerate(picks):
        maps = snaps[i].maps.reshape(len(names), cfg.length, cfg.length)  # (heads, T, T)
        for r, m in enumerate(maps):
            data.append(dict(type="heatmap", z=m.astype(np.float32), x=ticks, y=ticks, zmin=0, zmax=1,
                             colorscale=ATTENTION_SCALE, showscale=(r == 0 and c == 0),
                             colorbar=dict(title=dict(text="weight"), len=0.8),
                             hovertemplate="query %{y} reads key %{x}: %{z:.2f}<extra></extra>",
                             **charts.cell(r + 1, c + 1, len(picks))))
    charts.update_axes(layout, "x", showticklabels=False, ticks="", showgrid=False)
    charts.update_axes(layout, "y", showticklabels=False, ticks="", showgrid=False, autorange="reversed")
    for note in layout.get("annotations", []):
        note["font"] = dict(size=14)
    title = "Attention of every head over training<br><sub>row = query position 0–7 (top to bottom), " \
            "column = key position 0–7; mean over the validation sequences</sub>"
    layout |= charts.base_layout(title, height=150 * len(names) + 130)
    layout["margin"] |= dict(t=110, r=40)
    return charts.figure(data, layout)


def anti_diagonal_curves(trainers: Mapping[str, SequenceTrainer]) -> go.Figure:
    """The weight each head puts on key T−1−i from query i, over training (the reverse pattern):
    solid for the first run, dotted for the one without positions."""
    data = []
    for r, (label, trainer) in enumerate(trainers.items()):
        steps = [s.step for s in trainer.snapshots]
        weights = np.stack([anti_diagonal_weight(s.maps).reshape(-1) for s in trainer.snapshots])  # (snaps, heads)
        cfg = trainer.model_cfg
        for h, name in enumerate(head_names(cfg.layers, cfg.heads)):
            data.append(dict(type="scatter", x=steps, y=weights[:, h], mode="lines", name=f"{label}: {name}",
                             line=dict(color=color(h), width=3, dash="dot" if r else "solid")))
    uniform, note = charts.hline(1 / 8, dict(color="grey", dash="dash"), "uniform: 1/8")
    layout = charts.base_layout("Weight on the anti-diagonal (the reverse pattern)", height=420,
                                xaxis=charts.axis("step"), yaxis=charts.axis("weight on key 7 − i", range=[0, 1.05]),
                                legend=dict(orientation="h", y=-0.25), shapes=[uniform], annotations=note)
    layout["margin"] |= dict(b=120)
    return charts.figure(data, layout)


def sequence_attention(maps: np.ndarray, tokens: np.ndarray, title: str) -> go.Figure:
    """Every head's attention on one input sequence: (layers, heads, T, T), ticks 'position:digit'."""
    layers, heads = maps.shape[:2]
    names = head_names(layers, heads)
    labels = [f"{i}:{d}" for i, d in enumerate(tokens)]
    cols = min(len(names), 4)
    rows = -(-len(names) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.06, vertical_spacing=0.14)
    for i, m in enumerate(maps.reshape(len(names), *maps.shape[2:])):
        _heatmap(fig, m, i // cols + 1, i % cols + 1, labels, showscale=(i == 0))
    fig.update_xaxes(title="key (position:digit)", tickfont=dict(size=12))
    fig.update_yaxes(title="query", tickfont=dict(size=12))
    fig.update_annotations(font=dict(size=15))
    return style(fig, title, height=360 * rows + 40)


def matrix(z: np.ndarray, title: str, y_labels: Sequence[str], x_labels: Sequence[str], y_title: str,
           x_title: str, scale: str = "RdBu") -> go.Figure:
    """A small matrix with its numbers written in the cells (rows top to bottom). "RdBu" centres
    its colours on 0 (one decimal); "Blues" is for weights in [0, 1] (two decimals)."""
    weights = scale == "Blues"
    fig = go.Figure(go.Heatmap(z=z.astype(np.float32), x=list(x_labels), y=list(y_labels), colorscale=scale,
                               zmid=None if weights else 0.0, zmin=0 if weights else None, zmax=1 if weights else None,
                               texttemplate="%{z:.2f}" if weights else "%{z:.1f}", textfont=dict(size=11),
                               showscale=False, hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>"))
    fig.update_xaxes(title=x_title, tickfont=dict(size=12))
    fig.update_yaxes(title=y_title, autorange="reversed", tickfont=dict(size=12))
    fig = style(fig, title, height=160 + 24 * len(y_labels))
    fig.update_layout(margin=dict(l=60, r=10, t=60, b=60))
    return fig


def scaling(effect: ScalingEffect) -> go.Figure:
    """Scores' std and the softmax's largest weight against the head width d, with and without √d."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=["std of the scores", "largest softmax weight in a row (mean)"])
    for i, (label, std, peak) in enumerate([("q·k (no scaling)", effect.std_raw, effect.max_weight_raw),
                                            ("q·k / √d", effect.std_scaled, effect.max_weight_scaled)]):
        line = dict(color=color(1 - i), width=3)  # red without scaling, blue with it
        fig.add_scatter(x=effect.dims, y=std, name=label, mode="lines+markers", line=line, row=1, col=1)
        fig.add_scatter(x=effect.dims, y=peak, name=label, mode="lines+markers", line=line, showlegend=False,
                        row=1, col=2)
    fig.add_scatter(x=effect.dims, y=np.sqrt(effect.dims), name="√d", mode="lines",
                    line=dict(color="grey", dash="dash"), row=1, col=1)
    fig.update_xaxes(title="head width d", type="log", tickvals=list(effect.dims))
    ticks = [0.5, 1, 2, 4, 8, 16, 32]
    fig.update_yaxes(type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks], row=1, col=1)
    fig.update_yaxes(range=[0, 1.05], row=1, col=2)
    fig.update_annotations(font=dict(size=16))
    return style(fig, "Random unit-variance queries and keys, 8 keys per query", height=400)


def cost(result: AttentionCost) -> go.Figure:
    """Time and memory of one self-attention layer against T, on log-log axes, with a T² guide."""
    t = result.lengths.astype(np.float64)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=["time of one forward pass (ms, fastest of 5)", "attention weights (KiB)"])
    guide = lambda y: y[-1] * (t / t[-1]) ** 2  # noqa: E731 — a T² line through the last point
    for col, y, name in ((1, result.seconds * 1e3, "measured time"), (2, result.weight_bytes / 1024, "memory")):
        fig.add_scatter(x=t, y=y, mode="lines+markers", name=name, line=dict(color=color(col - 1), width=3),
                        row=1, col=col)
        fig.add_scatter(x=t, y=guide(y), mode="lines", name="∝ T²", line=dict(color="grey", dash="dash"),
                        showlegend=col == 1, row=1, col=col)
    fig.update_xaxes(title="sequence length T", type="log", tickvals=list(result.lengths))
    fig.update_yaxes(type="log", dtick=1, exponentformat="power")
    fig.update_annotations(font=dict(size=16))
    title = f"One attention layer (d_model {result.d_model}, {result.heads} heads, batch of {result.batch})"
    return style(fig, title, height=400)
