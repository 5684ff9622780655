"""Figures of the Debugging page, built from ``dlcore.labs.practical_tips`` data. Nothing here trains."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from dlcore import Trainer
from dlcore.labs.practical_tips import SOFTMAX_TWICE_FLOOR, NaNReport, RangeTest
from ui import charts
from ui.charts import color, style

__all__ = ["grad_norm", "gradient_errors", "nan_losses", "one_batch", "range_test", "update_ratio"]


def _legend_below(fig: go.Figure, y: float = -0.25) -> go.Figure:
    fig.update_layout(legend=dict(orientation="h", y=y), margin=dict(b=110))
    return fig


def update_ratio(trainers: Mapping[str, Trainer]) -> go.Figure:
    """‖ΔW‖/‖W‖ per step (mean over layers), with the rule-of-thumb band around 10⁻³."""
    fig = charts.layer_series(trainers, "update_ratio", "Update-to-weight ratio ‖ΔW‖/‖W‖ (mean over layers)",
                              "‖ΔW‖ / ‖W‖", log_y=True)
    fig.add_hrect(y0=3e-4, y1=3e-3, fillcolor="green", opacity=0.12, line_width=0,
                  annotation_text="healthy ≈ 10⁻³", annotation_position="top left")
    return _legend_below(fig)


def grad_norm(trainers: Mapping[str, Trainer]) -> go.Figure:
    """The largest per-layer gradient norm at each recorded step."""
    fig = charts.layer_series(trainers, "grad_norm", "Gradient norm ‖∂L/∂W‖ (largest layer)", "‖∂L/∂W‖",
                              reduce="max", log_y=True)
    return _legend_below(fig)


def range_test(rt: RangeTest, marks: Mapping[str, float]) -> go.Figure:
    """Loss against learning rate (log axis), raw and smoothed, the suggestion and other rates marked."""
    fig = go.Figure()
    fig.add_scatter(x=rt.lrs, y=rt.losses, mode="markers", name="loss of each step",
                    marker=dict(size=5, color="#bbbbbb"))
    fig.add_scatter(x=rt.lrs, y=rt.smoothed, mode="lines", name="smoothed", line=dict(color=color(0), width=3))
    for i, (label, lr) in enumerate(marks.items()):
        fig.add_vline(x=lr, line=dict(color=color(i + 1), width=2, dash="dash"))
        fig.add_scatter(x=[lr, lr], y=[None, None], mode="lines", name=f"{label}: {lr:.2g}",
                        line=dict(color=color(i + 1), width=2, dash="dash"))
    fig.update_xaxes(type="log", title="learning rate (raised every step)", exponentformat="power")
    fig.update_yaxes(title="training loss", range=[0, max(3.0, float(np.nanmax(rt.smoothed)) * 1.1)])
    return _legend_below(style(fig, "Learning-rate range test", height=440))


def one_batch(losses: Mapping[str, np.ndarray]) -> go.Figure:
    """Loss per step on a single batch, with the floor softmax-twice cannot go below."""
    series = {label: (np.arange(1, len(v) + 1), v) for label, v in losses.items()}
    fig = charts.lines(series, "Over-fit one batch of 32 digits", "step", "loss on that batch", log_y=True)
    fig.add_hline(y=SOFTMAX_TWICE_FLOOR, line=dict(color="grey", dash="dash"),
                  annotation_text=f"softmax twice can't go below ln(1 + 9/e) = {SOFTMAX_TWICE_FLOOR:.2f}",
                  annotation_position="bottom right")
    return _legend_below(fig)


def nan_losses(reports: Mapping[str, NaNReport]) -> go.Figure:
    """Mini-batch loss per step of each loss; where a run turned non-finite, a marker."""
    fig = go.Figure()
    for i, (label, r) in reversed(list(enumerate(reports.items()))):  # the first drawn last, on top
        losses = np.array(r.losses, dtype=np.float64)
        finite = np.isfinite(losses)
        steps = np.arange(1, len(losses) + 1)
        fig.add_scatter(x=steps[finite], y=losses[finite], mode="lines", name=label,
                        line=dict(color=color(i), width=3 if i == 0 else 2))
        if r.step is not None:
            fig.add_vline(x=r.step, line=dict(color=color(i), dash="dot"),
                          annotation_text=f"loss = {r.loss} at step {r.step}", annotation_position="top left")
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="mini-batch loss", type="log", exponentformat="power")
    return _legend_below(style(fig, "The same learning rate, two ways to write the loss", height=420))


def gradient_errors(errors: Mapping[str, float]) -> go.Figure:
    """Relative error between autograd and finite differences (log axis)."""
    labels = list(errors)
    values = np.array([max(errors[k], 1e-16) for k in labels], dtype=np.float64)
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=[color(0), color(2), color(1)],
                           text=[f"{v:.1e}" for v in values], textposition="outside"))
    fig.add_vline(x=1e-6, line=dict(color="grey", dash="dash"), annotation_text="suspicious above 10⁻⁶",
                  annotation_position="bottom left")
    fig.update_xaxes(type="log", title="relative error ‖g_autograd − g_numeric‖ / (‖g_a‖ + ‖g_n‖)",
                     exponentformat="power", range=[-12, 1.5])
    fig.update_yaxes(autorange="reversed")
    fig = style(fig, "Gradient check: autograd against central differences (float64)", height=300)
    fig.update_layout(margin=dict(l=330, r=40, t=60, b=60))
    return fig
