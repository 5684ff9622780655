"""Figures of the Convolutional networks page, built from ``dlcore.labs.cnn`` data. Nothing here trains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlcore import Trainer
from dlcore.labs.cnn import Equivariance
from ui import charts
from ui.charts import color, style

GREYS = "Greys"
DIVERGING = "RdBu_r"


def _image_axes(fig: go.Figure, rows: int, cols: int) -> None:
    """Square pixels, no ticks, row 0 at the top, on every panel."""
    for i in range(rows * cols):
        suffix = "" if i == 0 else str(i + 1)
        fig.layout[f"xaxis{suffix}"].update(showticklabels=False, ticks="", showgrid=False, zeroline=False,
                                             scaleanchor=f"y{suffix}", constrain="domain")
        fig.layout[f"yaxis{suffix}"].update(showticklabels=False, ticks="", showgrid=False, zeroline=False,
                                             autorange="reversed", constrain="domain")


# shift_accuracy and layer_lines are redrawn at every frame of a training run: written as plain data
# (``charts.figure``), without Plotly's per-property validation.
def shift_accuracy(acc: Mapping[str, Mapping[int, float]]) -> go.Figure:
    """Validation accuracy of each network on the digits moved by 0, 1, 2 pixels (grouped bars)."""
    data = []
    for i, (name, by_shift) in enumerate(acc.items()):
        shifts = list(by_shift)
        data.append(dict(type="bar", x=[f"{s} px" for s in shifts], y=[by_shift[s] for s in shifts], name=name,
                         marker=dict(color=color(i)), text=[f"{by_shift[s]:.2f}" for s in shifts],
                         textposition="outside"))
    return charts.figure(data, charts.base_layout(
        "Accuracy on shifted digits", height=380, barmode="group",
        xaxis=charts.axis("validation digits moved by (average of left, right, up, down)") | dict(type="category"),
        yaxis=charts.axis("accuracy", range=[0, 1.12])))


def layer_lines(trainers: Mapping[str, Trainer], attribute: str, title: str, y_title: str,
                log_y: bool = False) -> go.Figure:
    """A per-layer quantity of the recorder over training: one line per layer, CNN solid, MLP dotted."""
    data = []
    for run, t in trainers.items():
        values = t.recorder.layer_series(attribute)  # (records, layers)
        names = [s.name for s in t.recorder.records[0].layers if not attribute.startswith("act.") or s.act]
        for j, name in enumerate(names[: values.shape[1]]):
            data.append(dict(type="scatter", x=t.recorder.steps(), y=values[:, j], mode="lines", name=f"{run} {name}",
                             line=dict(color=color(len(data)), width=3, dash="solid" if run == "CNN" else "dot")))
    return charts.figure(data, charts.base_layout(title, height=360, xaxis=charts.axis("step"),
                                                  yaxis=charts.axis(y_title, log=log_y)))


def equivariance_panels(x: np.ndarray, eq: Equivariance, channel: int) -> go.Figure:
    """The digit, the digit shifted, conv(shift x), shift(conv x) for one channel, and |difference|."""
    titles = ["digit x", f"shift x ({eq.shift} px →)", "conv(shift x)", "shift(conv x)",
              "‖difference‖ (all channels)"]
    fig = make_subplots(rows=1, cols=5, subplot_titles=titles, horizontal_spacing=0.02)
    shifted = np.zeros_like(x)
    shifted[:, eq.shift:] = x[:, : x.shape[1] - eq.shift]
    a, b = eq.of_shifted[channel], eq.shifted_maps[channel]
    top = float(max(np.abs(a).max(), np.abs(b).max(), 1e-6))
    panels = [(x, GREYS, 0, float(x.max()) or 1.0), (shifted, GREYS, 0, float(x.max()) or 1.0),
              (a, "Viridis", 0, top), (b, "Viridis", 0, top), (eq.difference, "Reds", 0, top)]
    for i, (z, scale, lo, hi) in enumerate(panels):
        fig.add_heatmap(z=z.astype(np.float32), colorscale=scale, zmin=lo, zmax=hi, showscale=False,
                        row=1, col=i + 1, hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra></extra>")
    _image_axes(fig, 1, 5)
    fig.update_annotations(font=dict(size=14))
    return style(fig, f"Equivariance of the convolutional layers (channel {channel + 1} of the last layer)",
                 height=300)


def image_grid(images: Sequence[np.ndarray], titles: Sequence[str], title: str, cols: int = 8,
               diverging: bool = False, height_per_row: int = 150) -> go.Figure:
    """Small heatmaps in a grid: filters (diverging colours around 0) or feature maps (≥ 0)."""
    rows = max(1, -(-len(images) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles), horizontal_spacing=0.015,
                        vertical_spacing=0.12 / rows if rows > 1 else 0.0)
    top = max((float(np.abs(im).max()) for im in images), default=1.0) or 1.0
    for i, im in enumerate(images):
        lo, scale = (-top, DIVERGING) if diverging else (0.0, "Viridis")
        fig.add_heatmap(z=im.astype(np.float32), zmin=lo, zmax=top, colorscale=scale, showscale=i == 0,
                        colorbar=dict(len=0.8, thickness=12), row=i // cols + 1, col=i % cols + 1,
                        hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra></extra>")
    _image_axes(fig, rows, cols)
    fig.update_annotations(font=dict(size=13))
    return style(fig, title, height=height_per_row * rows + 90)


def feature_maps(maps: Sequence[np.ndarray], per_layer: int = 8) -> go.Figure:
    """Up to ``per_layer`` feature maps of each layer of one digit, one row per layer."""
    rows = len(maps)
    titles = [f"layer {r + 1}, map {c + 1}" if c < len(m) else "" for r, m in enumerate(maps) for c in range(per_layer)]
    fig = make_subplots(rows=rows, cols=per_layer, subplot_titles=titles, horizontal_spacing=0.012,
                        vertical_spacing=0.1 / rows if rows > 1 else 0.0)
    for r, m in enumerate(maps):
        top = max(float(np.nanmax(m[:per_layer])), 1e-6) if np.isfinite(m).any() else 1.0  # one scale per layer
        for c in range(min(per_layer, len(m))):
            fig.add_heatmap(z=m[c].astype(np.float32), zmin=0, zmax=top, colorscale="Viridis", showscale=False,
                            row=r + 1, col=c + 1, hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra></extra>")
    _image_axes(fig, rows, per_layer)
    fig.update_annotations(font=dict(size=12))
    return style(fig, "Feature maps of the chosen digit, layer by layer (after ReLU; one colour scale per layer)",
                 height=170 * rows + 90)


def receptive_fields(maps: Sequence[np.ndarray], sides: Sequence[int]) -> go.Figure:
    """Per layer, the input pixels the centre unit depends on (|∂unit/∂x| > 0), with the formula's side."""
    titles = [f"layer {i + 1}: {int((m > 0).any(0).sum())}×{int((m > 0).any(1).sum())} px "
              f"(formula {s}×{s})" for i, (m, s) in enumerate(zip(maps, sides))]
    fig = make_subplots(rows=1, cols=len(maps), subplot_titles=titles, horizontal_spacing=0.04)
    for i, m in enumerate(maps):
        fig.add_heatmap(z=(m > 0).astype(np.float32), zmin=0, zmax=1, showscale=False, row=1, col=i + 1,
                        colorscale=[[0, "#f4f4f4"], [1, "#1f77b4"]], xgap=1, ygap=1,
                        hovertemplate="row %{y}, col %{x}<extra></extra>")
    _image_axes(fig, 1, len(maps))
    fig.update_annotations(font=dict(size=14))
    return style(fig, "Receptive field of the centre unit, by autograd (blue: input pixels it depends on)",
                 height=320)
