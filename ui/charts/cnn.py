"""Figures of the Convolutional networks page, built from ``dlcore.labs.cnn`` data. Nothing here trains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dlcore import Trainer
from dlcore.labs.cnn import Equivariance
from ui import charts
from ui.charts import color

GREYS = "Greys"
DIVERGING = "RdBu_r"


def _heat(z: np.ndarray, scale: str | list, lo: float, hi: float, row: int, col: int, cols: int,
          hover: str = "row %{y}, col %{x}: %{z:.3g}<extra></extra>", **extra) -> dict:
    """One small image of a grid, as a plain heatmap trace in panel (row, col)."""
    colors = charts.colorscale(scale) if isinstance(scale, str) else scale
    return dict(type="heatmap", z=z.astype(np.float32), colorscale=colors, zmin=lo, zmax=hi, hovertemplate=hover,
                **extra, **charts.cell(row, col, cols))


def _image_grid_figure(data: list[dict], rows: int, cols: int, titles: Sequence[str], title_size: int, title: str,
                       height: int, **spacing) -> go.Figure:
    """Panels of images in a grid: square pixels, no ticks, row 0 at the top, titled panels."""
    layout = charts.grid_layout(rows, cols, subplot_titles=list(titles), **spacing)
    for key, axis in layout.items():
        if key.startswith("xaxis"):
            axis.update(scaleanchor=axis["anchor"].replace("x", "y"))  # square pixels
        elif key.startswith("yaxis"):
            axis.update(autorange="reversed")  # row 0 at the top
        else:
            continue
        axis.update(showticklabels=False, ticks="", showgrid=False, zeroline=False, constrain="domain")
    for note in layout["annotations"]:
        note["font"] = dict(size=title_size)
    return charts.figure(data, charts.base_layout(title, height=height) | layout)


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
    shifted = np.zeros_like(x)
    shifted[:, eq.shift:] = x[:, : x.shape[1] - eq.shift]
    a, b = eq.of_shifted[channel], eq.shifted_maps[channel]
    top = float(max(np.abs(a).max(), np.abs(b).max(), 1e-6))
    panels = [(x, GREYS, 0, float(x.max()) or 1.0), (shifted, GREYS, 0, float(x.max()) or 1.0),
              (a, "Viridis", 0, top), (b, "Viridis", 0, top), (eq.difference, "Reds", 0, top)]
    data = [_heat(z, scale, lo, hi, 1, i + 1, 5, showscale=False) for i, (z, scale, lo, hi) in enumerate(panels)]
    return _image_grid_figure(data, 1, 5, titles, 14, f"Equivariance of the convolutional layers (channel "
                              f"{channel + 1} of the last layer)", 300, horizontal_spacing=0.02)


def image_grid(images: Sequence[np.ndarray], titles: Sequence[str], title: str, cols: int = 8,
               diverging: bool = False, height_per_row: int = 150) -> go.Figure:
    """Small heatmaps in a grid: filters (diverging colours around 0) or feature maps (≥ 0)."""
    rows = max(1, -(-len(images) // cols))
    top = max((float(np.abs(im).max()) for im in images), default=1.0) or 1.0
    lo, scale = (-top, DIVERGING) if diverging else (0.0, "Viridis")
    data = [_heat(im, scale, lo, top, i // cols + 1, i % cols + 1, cols, showscale=i == 0,
                  colorbar=dict(len=0.8, thickness=12)) for i, im in enumerate(images)]
    return _image_grid_figure(data, rows, cols, titles, 13, title, height_per_row * rows + 90,
                              horizontal_spacing=0.015, vertical_spacing=0.12 / rows if rows > 1 else 0.0)


def feature_maps(maps: Sequence[np.ndarray], per_layer: int = 8) -> go.Figure:
    """Up to ``per_layer`` feature maps of each layer of one digit, one row per layer."""
    rows = len(maps)
    titles = [f"layer {r + 1}, map {c + 1}" if c < len(m) else "" for r, m in enumerate(maps) for c in range(per_layer)]
    data = []
    for r, m in enumerate(maps):
        top = max(float(np.nanmax(m[:per_layer])), 1e-6) if np.isfinite(m).any() else 1.0  # one scale per layer
        data += [_heat(m[c], "Viridis", 0, top, r + 1, c + 1, per_layer, showscale=False)
                 for c in range(min(per_layer, len(m)))]
    return _image_grid_figure(data, rows, per_layer, titles, 12, "Feature maps of the chosen digit, layer by layer "
                              "(after ReLU; one colour scale per layer)", 170 * rows + 90,
                              horizontal_spacing=0.012, vertical_spacing=0.1 / rows if rows > 1 else 0.0)


def receptive_fields(maps: Sequence[np.ndarray], sides: Sequence[int]) -> go.Figure:
    """Per layer, the input pixels the centre unit depends on (|∂unit/∂x| > 0), with the formula's side."""
    titles = [f"layer {i + 1}: {int((m > 0).any(0).sum())}×{int((m > 0).any(1).sum())} px "
              f"(formula {s}×{s})" for i, (m, s) in enumerate(zip(maps, sides))]
    data = [_heat(m > 0, [[0, "#f4f4f4"], [1, "#1f77b4"]], 0, 1, 1, i + 1, len(maps), showscale=False, xgap=1,
                  ygap=1, hover="row %{y}, col %{x}<extra></extra>") for i, m in enumerate(maps)]
    return _image_grid_figure(data, 1, len(maps), titles, 14, "Receptive field of the centre unit, by autograd "
                              "(blue: input pixels it depends on)", 320, horizontal_spacing=0.04)
