"""Figures of the GAN page, built from ``dlcore.labs.gan`` data. Nothing here trains."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dlcore.labs.gan import COVERED_SHARE, EQUILIBRIUM, LOSS_LABELS, GANRecord, GANView
from ui import charts
from ui.charts import color, style

REAL, FAKE = "#1b7837", "#762a83"  # green = real, purple = generated (GAN Lab's colours)
# D's map: purple where D says "generated", white at ½, green where it says "real".
D_SCALE = [[0.0, "#9970ab"], [0.5, "#f7f7f7"], [1.0, "#5aae61"]]


def _legend_below(fig: go.Figure, y: float = -0.2) -> go.Figure:
    fig.update_layout(legend=dict(orientation="h", y=y, x=0, font=dict(size=14)))
    return fig


# The charts below are redrawn at every frame of a training run: written as plain data
# (``charts.figure``), without Plotly's per-property validation.
def _legend(y: float) -> dict:
    return dict(orientation="h", y=y, x=0, font=dict(size=14))


def gan_lab_view(view: GANView, title: str, arrow_length: float = 0.4) -> go.Figure:
    """GAN Lab's picture: D's output over the plane, real points (green), generated points
    (purple), and at some generated points an arrow along −∂(G's loss)/∂x̃, scaled so the longest
    is ``arrow_length`` long (their directions and relative sizes are what matter)."""
    if view.probability:
        heat = dict(zmin=0, zmax=1, colorbar=dict(title=dict(text="D(x)"), len=0.8),
                    hovertemplate="D(x) = %{z:.2f}<extra></extra>")
    else:
        heat = dict(colorbar=dict(title=dict(text="critic f(x)"), len=0.8),
                    hovertemplate="f(x) = %{z:.2f}<extra></extra>")
    data = [dict(type="heatmap", x=view.axis, y=view.axis, z=view.d_grid, colorscale=D_SCALE, zsmooth="best", **heat),
            dict(type="scatter", x=view.real[:, 0], y=view.real[:, 1], mode="markers", name="real points",
                 marker=dict(size=5, color=REAL, opacity=0.6)),
            dict(type="scatter", x=view.fake[:, 0], y=view.fake[:, 1], mode="markers", name="generated points G(z)",
                 marker=dict(size=5, color=FAKE, opacity=0.8))]
    a = view.arrows  # (k, 2)
    longest = float(np.nanmax(np.linalg.norm(a, axis=1))) if len(a) else 0.0
    if longest > 0 and np.isfinite(longest):
        start = view.fake[: len(a)]
        end = start + a * (arrow_length / longest)
        nan = np.full(len(a), np.nan, dtype=np.float32)
        xs = np.stack([start[:, 0], end[:, 0], nan], axis=1).ravel()  # segment, segment, …, gaps between
        ys = np.stack([start[:, 1], end[:, 1], nan], axis=1).ravel()
        sizes = np.tile([0, 9, 0], len(a))  # a head at each segment's end only
        data.append(dict(type="scatter", x=xs, y=ys, mode="lines+markers", name="G's gradient (where G pushes a point)",
                         line=dict(color="#222222", width=1.2),
                         marker=dict(symbol="arrow", angleref="previous", size=sizes, color="#222222")))
    half = float(view.axis[-1])
    return charts.figure(data, charts.base_layout(
        title, height=600, legend=_legend(-0.08),
        xaxis=dict(range=[-half, half], showgrid=False, zeroline=False, constrain="domain"),
        yaxis=dict(range=[-half, half], showgrid=False, zeroline=False, scaleanchor="x", constrain="domain")))


def coverage_chart(series: dict, modes: int, note: str | None = None) -> go.Figure:
    """Modes covered (left axis) and the share of good points (right axis) over training; ``note``
    (the subtitle) says what a mode and a good point are, the blobs' by default."""
    steps = series["record_steps"]
    data = [dict(type="scatter", x=steps, y=series["modes_covered"], name="modes covered", mode="lines+markers",
                 line=dict(color=color(0), width=3, shape="hv")),
            dict(type="scatter", x=steps, y=series["good_share"].astype(np.float32), name="share of good points",
                 mode="lines", line=dict(color=color(3), width=3, dash="dot"), yaxis="y2")]
    note = note or f"of {modes} modes; good = within 3σ of a mode"
    return charts.figure(data, charts.base_layout(
        f"Mode collapse, measured<br><sub>{note}</sub>", height=330, margin=dict(t=80, r=70), legend=_legend(-0.3),
        xaxis=charts.axis("step"),
        yaxis=charts.axis("modes covered", range=[-0.3, modes + 0.3], dtick=2 if modes > 8 else 1),
        yaxis2=charts.axis("good share", range=[0, 1.02], showgrid=False, tickmode="linear", tick0=0, dtick=0.25,
                           tickformat=".0%", overlaying="y", side="right")))


def mode_bars(record: GANRecord) -> go.Figure:
    """Share of the generated points that are good points near each mode, with the fair share
    and the 'covered' threshold."""
    shares = np.asarray(record.per_mode, dtype=np.float32)
    k = len(shares)
    colors = [color(0) if s >= COVERED_SHARE else "#bbbbbb" for s in shares]
    bars = dict(type="bar", x=[f"{i + 1}" for i in range(k)], y=shares, marker=dict(color=colors), showlegend=False,
                hovertemplate="mode %{x}: %{y:.1%}<extra></extra>")
    white = dict(bgcolor="rgba(255,255,255,0.8)")
    fair, fair_note = charts.hline(1 / k, dict(color="black", dash="dash", width=1.5), f"fair share {1 / k:.1%}",
                                   **white)
    covered, covered_note = charts.hline(COVERED_SHARE, dict(color="#d62728", dash="dot", width=1.5),
                                         f"covered ≥ {COVERED_SHARE:.0%}", "top left", **white)
    return charts.figure([bars], charts.base_layout(
        f"Points per mode at step {record.step}", height=300, shapes=[fair, covered],
        annotations=fair_note + covered_note, xaxis=charts.axis("mode") | dict(type="category"),
        yaxis=charts.axis("share of generated points", tickformat=".0%",
                          range=[0, max(0.3, float(shares.max()) * 1.1 if k else 0.3)])))


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    """A moving average over ``window`` steps (shorter at the start)."""
    if len(y) == 0:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    n = np.minimum(np.arange(1, len(y) + 1), window)
    return (c[1:] - c[np.arange(1, len(y) + 1) - n]) / n


def loss_chart(series: dict, loss: str) -> go.Figure:
    """D's and G's loss at every step (thin) and their 50-step moving averages (thick), with the
    values they would take at the equilibrium D(x) = ½ (dashed, for the cross-entropy losses)."""
    data = []
    steps = series["steps"]
    for i, (key, label) in enumerate((("d_loss", "D's loss"), ("g_loss", "G's loss"))):
        y = series[key]
        data.append(dict(type="scatter", x=steps, y=y.astype(np.float32), mode="lines", name=f"{label}, each step",
                         opacity=0.3, line=dict(color=color(i + 1), width=1), legendgroup=key))
        data.append(dict(type="scatter", x=steps, y=_smooth(y, 50).astype(np.float32), mode="lines",
                         name=f"{label}, 50-step mean", line=dict(color=color(i + 1), width=3), legendgroup=key))
    shapes, notes = [], []
    if loss != "wasserstein_gp":
        g_text = "G at ½: " + ("−ln 2" if loss == "minimax" else "ln 2")
        lines = ((EQUILIBRIUM["d_loss"], "D at ½: 2 ln 2", "top right"), (EQUILIBRIUM[loss], g_text, "bottom right"))
        for i, (value, text, where) in enumerate(lines):
            shape, note = charts.hline(value, dict(color=color(i + 1), dash="dash", width=1.5), text, where,
                                       font=dict(size=14, color=color(i + 1)))
            shapes.append(shape)
            notes += note
    title = (f"The two losses ({LOSS_LABELS[loss]})<br><sub>dashed: their values if D said ½ everywhere</sub>"
             if loss != "wasserstein_gp" else f"The two losses ({LOSS_LABELS[loss]})")
    return charts.figure(data, charts.base_layout(
        title, height=360, margin=dict(t=80), legend=_legend(-0.25), shapes=shapes, annotations=notes,
        xaxis=charts.axis("step"),
        yaxis=charts.axis("loss" if loss != "wasserstein_gp" else "loss (critic: Wasserstein estimate + penalty)")))


def logit_gradient_chart(d_fake: np.ndarray, gradients: dict[str, np.ndarray], now: float | None) -> go.Figure:
    """|∂(G's loss)/∂logit| against D(G(z)) for each G loss, with the run's current D(G(z))."""
    fig = go.Figure()
    for i, (loss, grad) in enumerate(gradients.items()):
        fig.add_scatter(x=d_fake, y=np.abs(grad).astype(np.float32), mode="lines", name=LOSS_LABELS[loss],
                        line=dict(color=color(i), width=3))
    if now is not None and np.isfinite(now):
        fig.add_vline(x=now, line=dict(color="black", dash="dot"), annotation_text=f"this run now: {now:.2f}",
                      annotation_position="top")
    fig.update_xaxes(title="D(G(z)), D's probability that a fake is real", range=[0, 1])
    fig.update_yaxes(title="|∂ G's loss / ∂ logit|", range=[0, 1.05])
    fig = style(fig, "How hard each G loss pushes", height=360)
    return _legend_below(fig, y=-0.3)
