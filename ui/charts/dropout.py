"""Figures of the Dropout page, built from ``dlcore.dropout`` data. Nothing here trains."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from dlcore import Trainer
from dlcore.labs.dropout import ConventionComparison, generalization_gap
from ui import charts
from ui.charts import color, style

CONVENTION_LABELS = {"inverted": "inverted (PyTorch): ×1/q in training", "classic": "classic: ×q at inference"}


def _legend_below(fig: go.Figure) -> go.Figure:
    fig.update_layout(legend=dict(orientation="h", y=-0.3, font=dict(size=14)), margin=dict(b=110))
    return fig


def loss_curves(trainers: Mapping[str, Trainer]) -> go.Figure:
    """The shared train/validation loss chart, with log ticks at 1-2-5 values only."""
    fig = charts.loss_curves(trainers)
    ticks = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10]
    fig.update_yaxes(tickmode="array", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    return fig


def gap_curves(trainers: Mapping[str, Trainer]) -> go.Figure:
    """Validation loss − training loss of each run over training (plain data: redrawn every frame)."""
    data = [charts.line(*generalization_gap(t.recorder), label, i) for i, (label, t) in enumerate(trainers.items())]
    zero, _ = charts.hline(0, dict(color="grey", width=1))
    title = "Generalization gap<br><sub>validation loss − training loss, both in eval mode</sub>"
    return charts.figure(data, charts.base_layout(title, margin=dict(t=80), shapes=[zero], xaxis=charts.axis("step"),
                                                  yaxis=charts.axis("loss gap")))


def mask_heatmap(mask: np.ndarray, title: str) -> go.Figure:
    """A keep-mask (examples, units): kept units dark, dropped units light (plain data: redrawn every frame)."""
    heatmap = dict(type="heatmap", z=mask.astype(np.float32), zmin=0, zmax=1, showscale=False, xgap=1, ygap=1,
                   colorscale=[[0, "#eeeeee"], [0.5, "#eeeeee"], [0.5, "#1f77b4"], [1, "#1f77b4"]],
                   hovertemplate="example %{y}, unit %{x}: %{z:.0f}<extra></extra>")
    return charts.figure([heatmap], charts.base_layout(
        f"{title}<br><sub>last mini-batch: dark = kept, light = dropped</sub>", height=380, margin=dict(t=80),
        xaxis=charts.axis("hidden unit"), yaxis=charts.axis("example in the mini-batch", autorange="reversed")))


def train_vs_eval(comp: ConventionComparison, units: int = 16) -> go.Figure:
    """One input through inverted dropout: per unit, the eval-mode output (grey) and a few
    training-mode outputs (each either 0 or the input scaled up by 1/q)."""
    active = np.flatnonzero(comp.inference["inverted"] > 0)[:units]  # ReLU zeros would show nothing
    x = [str(i) for i in active]
    fig = go.Figure()
    fig.add_bar(x=x, y=comp.inference["inverted"][active], name="eval mode (= input)", marker_color="#999999")
    for i, sample in enumerate(comp.samples["inverted"]):
        fig.add_bar(x=x, y=sample[active], name=f"train mode, pass {i + 1}", marker_color=color(i))
    fig.update_xaxes(title="hidden unit (the active ones)", type="category")
    fig.update_yaxes(title="output of the dropout layer")
    fig = style(fig, f"Same input, train vs eval mode (p = {comp.p:g})", height=400, barmode="group", bargap=0.25)
    return _legend_below(fig)


def convention_scatter(comp: ConventionComparison) -> go.Figure:
    """Mean of many training-mode outputs against the inference output, per unit, for both
    conventions: on the diagonal means they agree in expectation."""
    fig = go.Figure()
    top = max(float(np.max(comp.inference["inverted"])), 1e-3)
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", name="y = x", line=dict(color="grey", dash="dash"))
    for i, name in enumerate(("inverted", "classic")):
        fig.add_scatter(x=comp.inference[name], y=comp.train_mean[name], mode="markers",
                        name=CONVENTION_LABELS[name], marker=dict(size=8, color=color(i), opacity=0.7))
    fig.update_xaxes(title="inference output")
    fig.update_yaxes(title=f"mean of {comp.passes} training outputs")
    return _legend_below(style(fig, "Both conventions agree in expectation", height=400))


def mc_heatmaps(axis: np.ndarray, mean: np.ndarray, std: np.ndarray,
                points: tuple[np.ndarray, np.ndarray], title: str) -> go.Figure:
    """MC dropout over the plane: mean P(class 1) and its standard deviation, points on top.
    Written as plain data (``charts.figure``): make_subplots validated every property, 22 ms a view."""
    x, y = points
    marker = dict(size=5, color=np.where(y == 1, "#08306b", "#67000d"), line=dict(width=0.5, color="white"))
    data, layout, titles = [], {}, []
    panels = (("mean of P(class 1)", mean, dict(zmin=0, zmax=1, colorscale="RdBu",
                                                 colorbar=dict(title=dict(text="P"), x=0.43, len=0.9))),
              ("std of P(class 1): the doubt", std, dict(zmin=0, colorscale="Viridis",
                                                          colorbar=dict(title=dict(text="std"), len=0.9))))
    for i, (name, z, style_) in enumerate(panels):
        n = "" if i == 0 else "2"
        x0 = 0.0 if i == 0 else 0.57
        layout[f"xaxis{n}"] = dict(domain=[x0, x0 + 0.43], anchor=f"y{n}", showticklabels=False)
        layout[f"yaxis{n}"] = dict(domain=[0, 1], anchor=f"x{n}", showticklabels=False, scaleanchor=f"x{n}")
        data.append(dict(type="heatmap", x=axis, y=axis, z=z, xaxis=f"x{n}", yaxis=f"y{n}", **style_))
        data.append(dict(type="scatter", x=x[:, 0], y=x[:, 1], mode="markers", showlegend=False, marker=marker,
                         xaxis=f"x{n}", yaxis=f"y{n}"))
        titles.append(dict(text=name, x=x0 + 0.215, y=1, xref="paper", yref="paper", xanchor="center",
                           yanchor="bottom", showarrow=False, font=dict(size=16)))
    return charts.figure(data, charts.base_layout(title, height=430, annotations=titles, **layout))
