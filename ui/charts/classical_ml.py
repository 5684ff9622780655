"""Figures of the Deep learning vs classical ML page, built from ``dlcore.labs.classical_ml`` data."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dlcore.labs.classical_ml import METHODS, ClassicalRun
from ui.charts import color, style, weight_images

DASH = {"pixels": "solid", "hand-made": "dash"}


def method_color(method: str) -> str:
    return color(METHODS.index(method))


def _legend_below(fig: go.Figure, y: float = -0.3) -> go.Figure:
    fig.update_layout(legend=dict(orientation="h", y=y, font=dict(size=14)), margin=dict(b=110))
    return fig


def scaling(run: ClassicalRun) -> go.Figure:
    """(b) Validation accuracy against the number of training images, one colour per method,
    solid on pixels and dashed on hand-made features."""
    fig = go.Figure()
    for f in run.cfg.feature_sets:
        for m in run.cfg.methods:
            sizes, acc = run.curve(f, m)
            fig.add_scatter(x=sizes, y=acc, mode="lines+markers", name=f"{m} — {f}", legendgroup=m,
                            line=dict(color=method_color(m), width=3, dash=DASH[f]), marker=dict(size=8))
    fig.update_xaxes(title="training images (log scale)", type="log", tickvals=list(run.cfg.sizes))
    fig.update_yaxes(title="validation accuracy", range=[0, 1.02])
    title = "Accuracy as the training set grows<br><sub>solid: raw pixels, dashed: hand-made features</sub>"
    fig = style(fig, title, height=470)
    fig.update_layout(margin=dict(t=90))
    return _legend_below(fig, y=-0.25)


def features(run: ClassicalRun) -> go.Figure:
    """(a) Each method on raw pixels and on hand-made features, at the largest size done."""
    fig = go.Figure()
    n = 0
    for i, f in enumerate(run.cfg.feature_sets):
        fits = run.largest(f)
        n = max(n, max((k for g, k in run.results if g == f), default=0))
        methods = [m for m in run.cfg.methods if m in fits]
        acc = [fits[m].accuracy for m in methods]
        fig.add_bar(x=methods, y=np.asarray(acc, dtype=np.float32), name=f, marker_color=color(i + 5),
                    text=[f"{a:.2f}" for a in acc], textposition="outside")
    fig.update_yaxes(title="validation accuracy", range=[0, 1.12])
    fig = style(fig, f"Raw pixels vs hand-made features<br><sub>{n} training images</sub>", height=440,
                barmode="group")
    fig.update_layout(margin=dict(t=90))
    return _legend_below(fig)


def fit_times(run: ClassicalRun, features: str) -> go.Figure:
    """(c) CPU time to fit each method on the largest training set, log scale."""
    fits = run.largest(features)
    methods = [m for m in run.cfg.methods if m in fits]
    ms = [max(fits[m].fit_seconds * 1000, 0.01) for m in methods]
    fig = go.Figure(go.Bar(x=methods, y=np.asarray(ms, dtype=np.float32), text=[f"{v:.3g} ms" for v in ms],
                           marker_color=[method_color(m) for m in methods], textposition="outside"))
    ticks = [0.1, 1, 10, 100, 1000, 10000]
    fig.update_yaxes(title="CPU milliseconds to fit", type="log", range=[-1.3, np.log10(max(ms)) + 0.6],
                     tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    n = max((k for g, k in run.results if g == features), default=0)
    fig = style(fig, f"Time to fit<br><sub>{features}, {n} training images, one CPU thread</sub>", height=440)
    fig.update_layout(margin=dict(t=90, b=110))
    return fig


def logistic_images(weights: np.ndarray) -> go.Figure:
    """A logistic regression's weights, one 8×8 image per digit (red: ink that counts for it)."""
    fig = weight_images({"top row: digits 0–4, bottom row: 5–9": weights}, cols=5,
                        title="Logistic regression on pixels: one weight image per digit, 0 to 9")
    for digit in range(len(weights)):
        r, c = divmod(digit, 5)
        fig.add_annotation(x=c * 9 + 3.5, y=r * 9 - 0.9, text=str(digit), showarrow=False, font=dict(size=14))
    fig.update_layout(height=460)
    return fig
