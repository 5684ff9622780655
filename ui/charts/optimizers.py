"""Figures of the Optimizers page: animated paths on a loss surface, Adam's moments and step
sizes, learning-rate schedules. Built from the engine's arrays; nothing here trains."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from dlcore.labs.optimizers import AdamTrace, Surface, Trajectory
from ui.charts import color, style

MAX_FRAMES = 50


def legend_below(fig: go.Figure, height: int = 480) -> go.Figure:
    """Move the legend under a half-width chart, so a long legend does not squeeze the plot."""
    return fig.update_layout(height=height, legend=dict(orientation="h", y=-0.22, yanchor="top", x=0))


def _f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def shaded_levels(z: np.ndarray, n_levels: int = 24) -> str:
    """A PNG (as a data URI) of ``z`` (rows = y from bottom to top) in ``n_levels`` bands, dark blue
    (low) to white (high): filled contours as a background image.

    Plotly drops contour and heatmap traces while it animates frames; a layout image stays."""
    lo, hi = float(z.min()), float(z.max())
    band = np.floor((z - lo) / max(hi - lo, 1e-12) * n_levels).clip(0, n_levels - 1) / (n_levels - 1)  # (n, n)
    dark, light = np.array([8, 48, 107]), np.array([247, 251, 255])
    rgb = (dark + band[..., None] * (light - dark)).astype(np.uint8)[::-1]  # (n, n, 3), top row first
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def surface_paths(surface: Surface, grid: tuple[np.ndarray, np.ndarray, np.ndarray],
                  paths: Mapping[str, Trajectory]) -> go.Figure:
    """Bands of log₁₀(f − f_min) with each optimizer's path, and animation frames that grow the
    paths step by step (Play / Pause / Resume buttons and a step slider under the plot).

    The axes stay on the surface's box: a path that diverges leaves the plot instead of
    stretching the axes to infinity."""
    xs, ys, z = grid
    fig = go.Figure()
    longest = max((len(t.points) for t in paths.values()), default=1)
    stride = max(1, math.ceil((longest - 1) / MAX_FRAMES))
    # The paths come first: the frames replace traces 0…n−1 and leave the markers alone.
    for i, (label, t) in enumerate(paths.items()):
        name = f"{label} (diverged)" if t.diverged else label
        fig.add_scatter(x=_f32(t.points[:, 0]), y=_f32(t.points[:, 1]), mode="lines+markers", name=name,
                        line=dict(color=color(i), width=3, dash="dash" if label == "AdamW" else "solid"),
                        marker=dict(size=5))
    fig.add_layout_image(source=shaded_levels(np.log10(np.maximum(z - surface.f_min, 0) + 1e-3)),
                         xref="x", yref="y", x=surface.x_range[0], y=surface.y_range[1], layer="below",
                         sizex=surface.x_range[1] - surface.x_range[0], sizey=surface.y_range[1] - surface.y_range[0],
                         sizing="stretch")
    mx, my = zip(*surface.minima)
    fig.add_scatter(x=list(mx), y=list(my), mode="markers", name="minimum",
                    marker=dict(symbol="star", size=16, color="gold", line=dict(width=1, color="black")))
    first = next(iter(paths.values()), None)
    if first is not None:
        fig.add_scatter(x=[first.points[0, 0]], y=[first.points[0, 1]], mode="markers", name="start",
                        marker=dict(symbol="circle-open", size=16, color="black", line=dict(width=3)))
    cuts = list(range(0, longest, stride)) + ([longest - 1] if (longest - 1) % stride else [])
    fig.frames = [
        go.Frame(name=str(k), traces=list(range(len(paths))),
                 data=[go.Scatter(x=_f32(t.points[: k + 1, 0]), y=_f32(t.points[: k + 1, 1])) for t in paths.values()])
        for k in cuts
    ]
    play = dict(frame=dict(duration=100, redraw=True), transition=dict(duration=0), mode="immediate")
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.17, xanchor="left", yanchor="top",
                          showactive=False, buttons=[
                              dict(label="▶ Play from start", method="animate",
                                   args=[None, {**play, "fromcurrent": False}]),
                              dict(label="⏸ Pause", method="animate",
                                   args=[[None], dict(frame=dict(duration=0, redraw=True), mode="immediate")]),
                              dict(label="⏯ Resume", method="animate", args=[None, {**play, "fromcurrent": True}]),
                          ])],
        sliders=[dict(active=len(cuts) - 1, x=0.42, len=0.58, y=-0.13, yanchor="top",
                      currentvalue=dict(prefix="step ", font=dict(size=16, color="black")), pad=dict(t=0),
                      font=dict(color="rgba(0,0,0,0)"),  # 50 tick labels would overlap: show the current one only
                      steps=[dict(label=str(k), method="animate",
                                  args=[[str(k)], dict(frame=dict(duration=0, redraw=True), mode="immediate")])
                             for k in cuts])],
    )
    fig.update_xaxes(title="x", range=list(surface.x_range), showgrid=False)
    fig.update_yaxes(title="y", range=list(surface.y_range), showgrid=False)
    style(fig, f"{surface.label}: {surface.formula}", height=640)
    return fig.update_layout(margin=dict(l=60, r=20, t=60, b=170))


def adam_moments(trace: AdamTrace, coord: int = 0) -> go.Figure:
    """m, m̂ (with g) and √v, √v̂ (with |g|) of one coordinate over Adam's first steps."""
    axis = "xy"[coord]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=(f"first moment of ∂f/∂{axis}", f"second moment (as √v) of ∂f/∂{axis}"))
    t = trace.step
    parts = [
        (1, "g (gradient)", trace.grad[:, coord], "#7f7f7f", "dot"),
        (1, "m (raw)", trace.m[:, coord], color(0), "dash"),
        (1, "m̂ = m / (1 − β₁ᵗ)", trace.m_hat[:, coord], color(0), "solid"),
        (2, "|g|", np.abs(trace.grad[:, coord]), "#7f7f7f", "dot"),
        (2, "√v (raw)", np.sqrt(trace.v[:, coord]), color(1), "dash"),
        (2, "√v̂ = √(v / (1 − β₂ᵗ))", np.sqrt(trace.v_hat[:, coord]), color(1), "solid"),
    ]
    for col, name, y, c, dash in parts:
        fig.add_scatter(x=t, y=_f32(y), name=name, mode="lines+markers", marker=dict(size=4),
                        line=dict(color=c, width=3, dash=dash), row=1, col=col)
    fig.update_xaxes(title="step t")
    fig.update_annotations(font=dict(size=16))
    return style(fig, f"Inside Adam: moment estimates of coordinate {axis}, bias-corrected (solid) or not (dashed)",
                 height=400)


def adam_step_sizes(trace: AdamTrace) -> go.Figure:
    """|Δθ| per coordinate of each real Adam step, what it would be without bias correction, and η."""
    fig = go.Figure()
    t = trace.step
    for coord, axis in enumerate("xy"):
        fig.add_scatter(x=t, y=_f32(np.abs(trace.delta[:, coord])), name=f"|Δ{axis}|, Adam", mode="lines+markers",
                        line=dict(color=color(coord), width=3))
        fig.add_scatter(x=t, y=_f32(np.abs(trace.uncorrected[:, coord])), name=f"|Δ{axis}| without correction",
                        mode="lines", line=dict(color=color(coord), width=2, dash="dash"))
    fig.add_scatter(x=[t[0], t[-1]], y=[trace.lr, trace.lr], name="learning rate η", mode="lines",
                    line=dict(color="black", width=2, dash="dot"))
    fig.update_xaxes(title="step t")
    fig.update_yaxes(title="step size |Δθ|", type="log")
    return legend_below(style(fig, "Adam's step |Δθ| per coordinate"), 430)


def step_histograms(hists: Mapping[str, tuple[np.ndarray, np.ndarray]], lrs: Mapping[str, float],
                    colors: Mapping[str, str]) -> go.Figure:
    """Pre-binned histograms of |η·m̂/(√v̂ + ε)| over a network's weights, log-spaced bins,
    with each run's learning rate as a vertical line."""
    fig = go.Figure()
    for label, (edges, frac) in hists.items():
        centers = np.sqrt(edges[:-1] * edges[1:])
        fig.add_scatter(x=_f32(centers), y=_f32(frac), name=label, mode="lines", line_shape="hvh",
                        line=dict(color=colors[label], width=3, dash="dash" if label == "AdamW" else "solid"))
        fig.add_vline(x=lrs[label], line=dict(color=colors[label], width=2, dash="dot"))
    fig.update_xaxes(title="|step| of a weight (log scale); dotted: learning rate η", type="log",
                     exponentformat="power")
    fig.update_yaxes(title="share of weights")
    return legend_below(style(fig, "Adam's per-weight steps η·m̂/(√v̂ + ε), now"))


def schedules(curves: Mapping[str, np.ndarray], chosen: str, now: int | None = None) -> go.Figure:
    """The learning-rate factor η(t)/η of every schedule over the run; the chosen one bold, with a
    dot at the current step."""
    fig = go.Figure()
    for i, (label, factor) in enumerate(curves.items()):
        bold = label == chosen
        fig.add_scatter(x=np.arange(len(factor)), y=_f32(factor), name=label, mode="lines",
                        line=dict(color=color(i), width=5 if bold else 2), opacity=1.0 if bold else 0.45)
    if now is not None and chosen in curves and len(curves[chosen]):
        k = min(now, len(curves[chosen]) - 1)
        fig.add_scatter(x=[k], y=[float(curves[chosen][k])], mode="markers", name="now",
                        marker=dict(size=14, color="black"))
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="η(t) / η (× each optimizer's own η)", range=[0, 1.05])
    return legend_below(style(fig, f"Learning-rate schedule in use: {chosen}"))


def trajectory_table(paths: Mapping[str, Trajectory], lrs: Mapping[str, float], f_min: float,
                     steps_to: Mapping[str, int | None]) -> dict[str, list]:
    """The numbers under the surface plot, one row per optimizer."""
    return {
        "optimizer": list(paths),
        "learning rate": [f"{lrs[k]:g}" for k in paths],
        "final f − f_min": [f"{t.losses[-1] - f_min:.3g}" for t in paths.values()],
        "steps to f − f_min ≤ 0.01": ["—" if steps_to[k] is None else str(steps_to[k]) for k in paths],
        "status": [t.message or "finished" for t in paths.values()],
    }
