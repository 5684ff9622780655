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


LEGEND_BELOW = dict(legend=dict(orientation="h", yanchor="top", y=-0.3, x=0), margin=dict(b=110))


def _legend_below(fig: go.Figure) -> go.Figure:
    """Legend under the plot: two half-width charts side by side keep their full plot width."""
    fig.update_layout(height=420, **LEGEND_BELOW)
    return fig


# grad_heatmap, layer_lines, update_ratios and global_norms are redrawn at every frame of a training run:
# written as plain data (``charts.figure``), without Plotly's per-property validation.
def grad_heatmap(gmap: GradientMap, title: str, every: int, total_steps: int,
                 zrange: tuple[float, float] | None = None, note: str = "") -> go.Figure:
    """Layer (rows, input at the bottom) × recorded step (columns), colour = log₁₀ ‖∂L/∂W‖.

    Each column is ``every`` steps wide and the x axis always spans the whole run, so a run that
    diverged early shows as a short stripe followed by nothing."""
    zmin, zmax = zrange if zrange else (float(gmap.log10_grad_norm.min()), float(gmap.log10_grad_norm.max()))
    edges = np.append(gmap.steps - every / 2, gmap.steps[-1] + every / 2)  # (n_records + 1,) column edges
    heat = dict(type="heatmap", x=edges, y=list(gmap.layers), z=gmap.log10_grad_norm.T,  # (layers, steps)
                zmin=zmin, zmax=max(zmax, zmin + 1e-3), colorscale=charts.colorscale("Viridis"),
                colorbar=dict(title=dict(text="log₁₀ ‖∂L/∂W‖")),
                hovertemplate="%{y}<br>log₁₀ ‖∂L/∂W‖ = %{z:.2f}<extra></extra>")
    notes = [dict(x=total_steps / 2, y=0.5, yref="paper", text=note, showarrow=False,
                  font=dict(size=18, color="#d62728"))] if note else []  # e.g. "diverged at step 2"
    return charts.figure([heat], charts.base_layout(
        title, height=max(330, 24 * len(gmap.layers) + 130), annotations=notes,
        xaxis=dict(title=dict(text="step"), range=[-every / 2, total_steps + every / 2]),
        yaxis=dict(title=dict(text="layer (input at the bottom)"))))


def loss_curves(trainers) -> go.Figure:
    """The shared loss chart, with its legend under the plot (it sits in a half-width column). A run
    that diverged before its second record shows its one point as a marker (``charts.line``)."""
    return _legend_below(charts.loss_curves(trainers))


def layer_lines(profiles: Mapping[str, LayerProfile], attribute: str, title: str, y_title: str,
                reference: float | None = None) -> go.Figure:
    """One line per run across the layers (log y); an optional dashed reference level."""
    data = [dict(type="scatter", x=list(p.layers), y=_positive(getattr(p, attribute)), name=f"{label} (step {p.step})",
                 mode="lines+markers", line=dict(color=color(i), width=3), marker=dict(size=9), showlegend=True)
            for i, (label, p) in enumerate(profiles.items())]
    label = f"{reference:g} rule of thumb" if reference is not None else ""
    return _lines_layout(data, title, "layer (input → output)", y_title, reference, label, "top left")


def update_ratios(profiles: Mapping[str, LayerProfile]) -> go.Figure:
    """‖ΔW‖/‖W‖ per layer, with the ~1e-3 rule of thumb."""
    return layer_lines(profiles, "update_ratio", "Update-to-weight ratio ‖ΔW‖/‖W‖ per layer", "‖ΔW‖ / ‖W‖",
                       reference=HEALTHY_UPDATE_RATIO)


def global_norms(series: Mapping[str, tuple[np.ndarray, np.ndarray]], threshold: float | None) -> go.Figure:
    """The norm of all weight gradients over training, one line per run, and the clip threshold."""
    data = [dict(type="scatter", x=steps, y=_positive(norms), name=label, mode="lines+markers",
                 line=dict(color=color(i), width=3), marker=dict(size=6))
            for i, (label, (steps, norms)) in enumerate(series.items())]
    return _lines_layout(data, "Gradient norm over training (before clipping)", "step", "‖∂L/∂W‖ over all layers",
                         threshold or None, f"clip threshold {threshold:g}" if threshold else "", "top right")


def _lines_layout(data: list[dict], title: str, x_title: str, y_title: str, level: float | None, label: str,
                  where: str) -> go.Figure:
    """Lines on a log y axis, the legend below, and a dashed level with its label where one is given."""
    shapes, notes = [], []
    if level is not None:
        shape, notes = charts.hline(level, dict(color="#555", dash="dash", width=2), label, where)
        shapes = [shape]
    return charts.figure(data, charts.base_layout(
        title, height=420, shapes=shapes, annotations=notes, xaxis=dict(title=dict(text=x_title)),
        yaxis=dict(title=dict(text=y_title), type="log", exponentformat="power"), **LEGEND_BELOW))


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
