"""Figures of the vanishing & exploding gradients page, built from dlcore.vanishing_gradients data."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from dlcore.labs.vanishing_gradients import HEALTHY_UPDATE_RATIO, GradientMap, LayerProfile
from ui import charts
from ui.charts import color, style


def _positive(values: np.ndarray) -> list[float | None]:
    """A log axis cannot show 0, NaN or inf: those points become gaps."""
    return [float(v) if np.isfinite(v) and v > 0 else None for v in np.asarray(values, dtype=np.float64)]


def _legend_below(fig: go.Figure) -> go.Figure:
    """Legend under the plot: two half-width charts side by side keep their full plot width."""
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.3, x=0), height=420,
                      margin=dict(b=110))
    return fig


def grad_heatmap(gmap: GradientMap, title: str, every: int, total_steps: int,
                 zrange: tuple[float, float] | None = None, note: str = "") -> go.Figure:
    """Layer (rows, input at the bottom) × recorded step (columns), colour = log₁₀ ‖∂L/∂W‖.

    Each column is ``every`` steps wide and the x axis always spans the whole run, so a run that
    diverged early shows as a short stripe followed by nothing."""
    zmin, zmax = zrange if zrange else (float(gmap.log10_grad_norm.min()), float(gmap.log10_grad_norm.max()))
    edges = np.append(gmap.steps - every / 2, gmap.steps[-1] + every / 2)  # (n_records + 1,) column edges
    fig = go.Figure(go.Heatmap(
        x=edges, y=list(gmap.layers), z=gmap.log10_grad_norm.T,  # (layers, steps)
        zmin=zmin, zmax=max(zmax, zmin + 1e-3), colorscale="Viridis",
        colorbar=dict(title="log₁₀ ‖∂L/∂W‖"),
        hovertemplate="%{y}<br>log₁₀ ‖∂L/∂W‖ = %{z:.2f}<extra></extra>",
    ))
    fig.update_xaxes(title="step", range=[-every / 2, total_steps + every / 2])
    fig.update_yaxes(title="layer (input at the bottom)")
    if note:  # e.g. "diverged at step 2", written across the empty rest of the run
        fig.add_annotation(x=total_steps / 2, y=0.5, yref="paper", text=note, showarrow=False,
                           font=dict(size=18, color="#d62728"))
    return style(fig, title, height=max(330, 24 * len(gmap.layers) + 130))


def loss_curves(trainers) -> go.Figure:
    """The shared loss chart, with its legend under the plot (it sits in a half-width column). A run
    that diverged before its second record shows its one point as a marker (``charts.line``)."""
    return _legend_below(charts.loss_curves(trainers))


def layer_lines(profiles: Mapping[str, LayerProfile], attribute: str, title: str, y_title: str,
                reference: float | None = None) -> go.Figure:
    """One line per run across the layers (log y); an optional dashed reference level."""
    fig = go.Figure()
    for i, (label, p) in enumerate(profiles.items()):
        fig.add_scatter(x=list(p.layers), y=_positive(getattr(p, attribute)), name=f"{label} (step {p.step})",
                        mode="lines+markers", line=dict(color=color(i), width=3), marker=dict(size=9),
                        showlegend=True)
    if reference is not None:
        fig.add_hline(y=reference, line=dict(color="#555", dash="dash", width=2),
                      annotation_text=f"{reference:g} rule of thumb", annotation_position="top left")
    fig.update_xaxes(title="layer (input → output)")
    fig.update_yaxes(title=y_title, type="log", exponentformat="power")
    return _legend_below(style(fig, title))


def update_ratios(profiles: Mapping[str, LayerProfile]) -> go.Figure:
    """‖ΔW‖/‖W‖ per layer, with the ~1e-3 rule of thumb."""
    return layer_lines(profiles, "update_ratio", "Update-to-weight ratio ‖ΔW‖/‖W‖ per layer", "‖ΔW‖ / ‖W‖",
                       reference=HEALTHY_UPDATE_RATIO)


def global_norms(series: Mapping[str, tuple[np.ndarray, np.ndarray]], threshold: float | None) -> go.Figure:
    """The norm of all weight gradients over training, one line per run, and the clip threshold."""
    fig = go.Figure()
    for i, (label, (steps, norms)) in enumerate(series.items()):
        fig.add_scatter(x=steps, y=_positive(norms), name=label, mode="lines+markers",
                        line=dict(color=color(i), width=3), marker=dict(size=6))
    if threshold:
        fig.add_hline(y=threshold, line=dict(color="#555", dash="dash", width=2),
                      annotation_text=f"clip threshold {threshold:g}", annotation_position="top right")
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="‖∂L/∂W‖ over all layers", type="log", exponentformat="power")
    return _legend_below(style(fig, "Gradient norm over training (before clipping)"))


def scale_sweep(scales, gaps: Mapping[str, np.ndarray], chosen: float, chosen_gaps: Mapping[str, float]) -> go.Figure:
    """Orders of magnitude the gradient loses from the last hidden layer to the first, against
    the weight scale s (one line per bias choice), with the chosen s marked."""
    fig = go.Figure()
    for i, (label, g) in enumerate(gaps.items()):
        fig.add_scatter(x=list(scales), y=np.asarray(g, dtype=np.float64), name=label, mode="lines+markers",
                        line=dict(color=color(i), width=3), marker=dict(size=7))
        fig.add_scatter(x=[chosen], y=[chosen_gaps[label]], mode="markers", showlegend=False,
                        marker=dict(size=16, color=color(i), symbol="diamond", line=dict(color="#222", width=1)))
    fig.add_hline(y=0, line=dict(color="#555", dash="dash", width=2),
                  annotation_text="no vanishing", annotation_position="top right")
    fig.add_vrect(x0=0.9, x1=1.5, fillcolor="#999", opacity=0.15, line_width=0,
                  annotation_text="Xavier … He", annotation_position="bottom right")
    fig.update_xaxes(title="weight scale s (weights ~ N(0, s²/n_in))")
    fig.update_yaxes(title="orders of magnitude lost (layer 20 → 1)")
    return _legend_below(style(fig, "Gradient lost vs weight scale (20 sigmoid layers)"))
