"""Figures of the GAN page, built from ``dlcore.labs.gan`` data. Nothing here trains."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlcore.labs.gan import COVERED_SHARE, EQUILIBRIUM, LOSS_LABELS, GANRecord, GANView
from ui.charts import color, style

REAL, FAKE = "#1b7837", "#762a83"  # green = real, purple = generated (GAN Lab's colours)
# D's map: purple where D says "generated", white at ½, green where it says "real".
D_SCALE = [[0.0, "#9970ab"], [0.5, "#f7f7f7"], [1.0, "#5aae61"]]


def _legend_below(fig: go.Figure, y: float = -0.2) -> go.Figure:
    fig.update_layout(legend=dict(orientation="h", y=y, x=0, font=dict(size=14)))
    return fig


def gan_lab_view(view: GANView, title: str, arrow_length: float = 0.4) -> go.Figure:
    """GAN Lab's picture: D's output over the plane, real points (green), generated points
    (purple), and at some generated points an arrow along −∂(G's loss)/∂x̃, scaled so the longest
    is ``arrow_length`` long (their directions and relative sizes are what matter)."""
    fig = go.Figure()
    if view.probability:
        fig.add_heatmap(x=view.axis, y=view.axis, z=view.d_grid, zmin=0, zmax=1, colorscale=D_SCALE, zsmooth="best",
                        colorbar=dict(title="D(x)", len=0.8), hovertemplate="D(x) = %{z:.2f}<extra></extra>")
    else:
        fig.add_heatmap(x=view.axis, y=view.axis, z=view.d_grid, colorscale=D_SCALE, zsmooth="best",
                        colorbar=dict(title="critic f(x)", len=0.8), hovertemplate="f(x) = %{z:.2f}<extra></extra>")
    fig.add_scatter(x=view.real[:, 0], y=view.real[:, 1], mode="markers", name="real points",
                    marker=dict(size=5, color=REAL, opacity=0.6))
    fig.add_scatter(x=view.fake[:, 0], y=view.fake[:, 1], mode="markers", name="generated points G(z)",
                    marker=dict(size=5, color=FAKE, opacity=0.8))
    a = view.arrows  # (k, 2)
    longest = float(np.nanmax(np.linalg.norm(a, axis=1))) if len(a) else 0.0
    if longest > 0 and np.isfinite(longest):
        start = view.fake[: len(a)]
        end = start + a * (arrow_length / longest)
        nan = np.full(len(a), np.nan, dtype=np.float32)
        xs = np.stack([start[:, 0], end[:, 0], nan], axis=1).ravel()  # segment, segment, …, gaps between
        ys = np.stack([start[:, 1], end[:, 1], nan], axis=1).ravel()
        sizes = np.tile([0, 9, 0], len(a))  # a head at each segment's end only
        fig.add_scatter(x=xs, y=ys, mode="lines+markers", name="G's gradient (where G pushes a point)",
                        line=dict(color="#222222", width=1.2),
                        marker=dict(symbol="arrow", angleref="previous", size=sizes, color="#222222"))
    half = float(view.axis[-1])
    fig.update_xaxes(range=[-half, half], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[-half, half], showgrid=False, zeroline=False, scaleanchor="x", constrain="domain")
    return _legend_below(style(fig, title, height=600), y=-0.08)


def coverage_chart(series: dict, modes: int, note: str | None = None) -> go.Figure:
    """Modes covered (left axis) and the share of good points (right axis) over training; ``note``
    (the subtitle) says what a mode and a good point are, the blobs' by default."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    steps = series["record_steps"]
    fig.add_scatter(x=steps, y=series["modes_covered"], name="modes covered", mode="lines+markers",
                    line=dict(color=color(0), width=3, shape="hv"), secondary_y=False)
    fig.add_scatter(x=steps, y=series["good_share"].astype(np.float32), name="share of good points",
                    mode="lines", line=dict(color=color(3), width=3, dash="dot"), secondary_y=True)
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="modes covered", range=[-0.3, modes + 0.3], dtick=2 if modes > 8 else 1,
                     secondary_y=False)
    fig.update_yaxes(title="good share", range=[0, 1.02], showgrid=False, tickmode="linear", tick0=0, dtick=0.25,
                     tickformat=".0%", secondary_y=True)
    note = note or f"of {modes} modes; good = within 3σ of a mode"
    fig = style(fig, f"Mode collapse, measured<br><sub>{note}</sub>",
                height=330)
    fig.update_layout(margin=dict(t=80, r=70))
    return _legend_below(fig, y=-0.3)


def mode_bars(record: GANRecord) -> go.Figure:
    """Share of the generated points that are good points near each mode, with the fair share
    and the 'covered' threshold."""
    shares = np.asarray(record.per_mode, dtype=np.float32)
    k = len(shares)
    colors = [color(0) if s >= COVERED_SHARE else "#bbbbbb" for s in shares]
    fig = go.Figure(go.Bar(x=[f"{i + 1}" for i in range(k)], y=shares, marker_color=colors, showlegend=False,
                           hovertemplate="mode %{x}: %{y:.1%}<extra></extra>"))
    fig.add_hline(y=1 / k, line=dict(color="black", dash="dash", width=1.5),
                  annotation_text=f"fair share {1 / k:.1%}", annotation_position="top right",
                  annotation_bgcolor="rgba(255,255,255,0.8)")
    fig.add_hline(y=COVERED_SHARE, line=dict(color="#d62728", dash="dot", width=1.5),
                  annotation_text=f"covered ≥ {COVERED_SHARE:.0%}", annotation_position="top left",
                  annotation_bgcolor="rgba(255,255,255,0.8)")
    fig.update_xaxes(title="mode", type="category")
    fig.update_yaxes(title="share of generated points", tickformat=".0%",
                     range=[0, max(0.3, float(shares.max()) * 1.1 if k else 0.3)])
    return style(fig, f"Points per mode at step {record.step}", height=300)


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
    fig = go.Figure()
    steps = series["steps"]
    for i, (key, label) in enumerate((("d_loss", "D's loss"), ("g_loss", "G's loss"))):
        y = series[key]
        fig.add_scatter(x=steps, y=y.astype(np.float32), mode="lines", name=f"{label}, each step", opacity=0.3,
                        line=dict(color=color(i + 1), width=1), legendgroup=key)
        fig.add_scatter(x=steps, y=_smooth(y, 50).astype(np.float32), mode="lines", name=f"{label}, 50-step mean",
                        line=dict(color=color(i + 1), width=3), legendgroup=key)
    if loss != "wasserstein_gp":
        g_text = "G at ½: " + ("−ln 2" if loss == "minimax" else "ln 2")
        lines = ((EQUILIBRIUM["d_loss"], "D at ½: 2 ln 2", "top right"), (EQUILIBRIUM[loss], g_text, "bottom right"))
        for i, (value, text, where) in enumerate(lines):
            fig.add_hline(y=value, line=dict(color=color(i + 1), dash="dash", width=1.5), annotation_text=text,
                          annotation_position=where, annotation_font=dict(size=14, color=color(i + 1)))
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="loss" if loss != "wasserstein_gp" else "loss (critic: Wasserstein estimate + penalty)")
    fig = style(fig, f"The two losses ({LOSS_LABELS[loss]})<br><sub>dashed: their values if D said ½ everywhere</sub>"
                if loss != "wasserstein_gp" else f"The two losses ({LOSS_LABELS[loss]})", height=360)
    fig.update_layout(margin=dict(t=80))
    return _legend_below(fig, y=-0.25)


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
