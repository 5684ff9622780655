"""Plotly figures built from the engine's data (recorder series, arrays). Nothing here trains.

Fonts are large enough for a projector at the back of a classroom; every label's colour is
fixed by its position in ``PALETTE`` so a run keeps its colour across charts.

Thread safety: Plotly's validators look pandas and PIL up in ``sys.modules`` without importing them.
While one session's thread is importing pandas (Streamlit does so lazily, for a table), another
session's chart found the half-initialised module and failed with "partially initialized module
'pandas' has no attribute 'Series'" (seen in CI, on a fresh server). Importing them here, whole,
before this module can build a chart, closes that window: an ``import`` waits for a module another
thread is initialising, a ``sys.modules`` lookup does not.

Speed: a page redraws its charts several times while it trains, for every student. Building a
``go.Figure`` trace by trace validates every property (about 6 ms for a six-line chart); the
builders here write the figure as plain data and wrap it once with ``figure(data, layout)``,
without validation (about 0.5 ms). The result is still a ``go.Figure``, so callers can add to it.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas  # noqa: F401 - imported whole before any chart is built (see below)
import PIL.Image  # noqa: F401
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dlcore import Trainer

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
FONT = dict(size=16)


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def projector() -> bool:
    """Projector mode (a toggle in the sidebar): larger text everywhere."""
    return bool(st.session_state.get("projector", False))


@functools.lru_cache(maxsize=16)
def _colorscale(name: str) -> tuple:
    return tuple(tuple(stop) for stop in go.Heatmap(colorscale=name).colorscale)


def colorscale(name: str) -> list[list]:
    """A named colour scale ("Viridis", "RdBu_r") spelled out as Plotly's validation writes it, for
    plain-data traces: Plotly.js knows no reversed "_r" scales."""
    return [list(stop) for stop in _colorscale(name)]


def figure(data: list[dict], layout: dict | None = None) -> go.Figure:
    """A figure from plain trace dicts (``{"type": "scatter", "x": …}``) and a layout dict,
    wrapped without per-property validation (see the module docstring). NumPy arrays in the traces
    are written as Plotly.js typed arrays here, as Plotly would write them on the way to the
    browser but without its per-array conversion (0.05–0.1 ms an array; a grid of scatter plots
    has 200)."""
    return go.Figure({"data": [_typed(trace) for trace in data], "layout": layout or {}}, skip_invalid=True,
                     _validate=False)


_SHORT_TYPES = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
                "float32": "f4", "float64": "f8"}
_UNTYPED_KEYS = ("geojson", "layer", "layers", "range")  # Plotly leaves these as they are


def _typed(value):
    """``value`` with every NumPy array in it as Plotly.js's typed-array spec ``{"dtype", "bdata"[, "shape"]}``,
    byte for byte what ``plotly``'s ``to_typed_array_spec`` makes of it (64-bit integers narrowed to
    the smallest type that holds them; other arrays left to Plotly)."""
    if isinstance(value, dict):
        return {key: v if key in _UNTYPED_KEYS else _typed(v) for key, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_typed(v) for v in value]
    if not isinstance(value, np.ndarray) or value.size == 0:
        return value
    if value.dtype.kind in "iu" and value.dtype.itemsize == 8:
        for narrow in (np.int8, np.int16, np.int32) if value.dtype.kind == "i" else (np.uint8, np.uint16, np.uint32):
            if np.iinfo(narrow).min <= value.min() and value.max() <= np.iinfo(narrow).max:
                value = value.astype(narrow)
                break
        else:
            return value
    short = _SHORT_TYPES.get(str(value.dtype))
    if short is None:
        return value
    spec = {"dtype": short, "bdata": base64.b64encode(np.ascontiguousarray(value)).decode("ascii")}
    if value.ndim > 1:
        spec["shape"] = str(value.shape)[1:-1]
    return spec


def grid_layout(rows: int, cols: int, subplot_titles: Sequence[str] | None = None,
                column_titles: Sequence[str] | None = None, row_titles: Sequence[str] | None = None,
                horizontal_spacing: float | None = None, vertical_spacing: float | None = None) -> dict:
    """The layout of a ``rows × cols`` grid of panels as plain data: the axis domains and panel
    titles that ``make_subplots`` computes for the same arguments, by the same arithmetic (a test
    holds them equal), without building and validating a figure (20 ms a grid). Put a trace in a
    panel with ``cell(row, col, cols)``."""
    hs = 0.2 / cols if horizontal_spacing is None else horizontal_spacing
    vs = (0.5 if subplot_titles is not None else 0.3) / rows if vertical_spacing is None else vertical_spacing
    max_width = 0.98 if row_titles else 1.0  # breathing room for the row titles on the right
    widths = [(max_width - hs * (cols - 1)) / cols] * cols
    heights = [(1.0 - vs * (rows - 1)) / rows] * rows
    layout: dict = {}
    domains = []  # [(x domain, y domain)] of each panel, row by row from the top
    for r in range(rows):
        bottom = rows - 1 - r  # rows are stacked from the bottom of the figure
        y_start = sum(heights[:bottom]) + bottom * vs
        y_domain = [max(0.0, y_start), min(1.0, y_start + heights[-1 - r])]
        for c in range(cols):
            x_start = sum(widths[:c]) + c * hs
            domains.append(([x_start, x_start + widths[c]], y_domain))
            n = len(domains)
            axis = cell(r + 1, c + 1, cols)
            layout[f"xaxis{'' if n == 1 else n}"] = {"anchor": axis["yaxis"], "domain": domains[-1][0]}
            layout[f"yaxis{'' if n == 1 else n}"] = {"anchor": axis["xaxis"], "domain": list(y_domain)}
    notes = [_title(t, x, y) for t, (x, y) in zip(subplot_titles or [], domains) if t]
    notes += [_title(t, x, y) for t, (x, y) in zip(column_titles or [], domains[:cols]) if t]
    notes += [_title(t, x, y, edge="right") for t, (x, y) in zip(row_titles or [], domains[cols - 1::cols]) if t]
    layout["annotations"] = notes
    return layout


def _title(text: str, x_domain: list[float], y_domain: list[float], edge: str = "top") -> dict:
    """A panel's title above it (or, for a row, on its right), as make_subplots places it."""
    note = {"font": {"size": 16}, "showarrow": False, "text": text, "xref": "paper", "yref": "paper"}
    if edge == "top":
        return note | {"x": sum(x_domain) / 2.0, "xanchor": "center", "y": y_domain[1], "yanchor": "bottom"}
    return note | {"textangle": 90, "x": x_domain[1], "xanchor": "left", "y": sum(y_domain) / 2.0, "yanchor": "middle"}


def cell(row: int, col: int, cols: int) -> dict:
    """The axes of panel (``row``, ``col``) of a grid ``cols`` wide, 1-based: ``{"xaxis": "x3", "yaxis": "y3"}``."""
    n = (row - 1) * cols + col
    return {"xaxis": f"x{n if n > 1 else ''}", "yaxis": f"y{n if n > 1 else ''}"}


def update_axes(layout: dict, which: str, **props) -> None:
    """Set ``props`` on every x (``which="x"``) or y axis of a plain layout, as ``update_xaxes`` does."""
    for key, axis in layout.items():
        if key.startswith(f"{which}axis"):
            axis.update(props)


def hline(y: float, line: dict, text: str | None = None, where: str = "top right", **note) -> tuple[dict, list[dict]]:
    """A horizontal line across the plot at ``y`` and its label (``where``: "top right", "top left",
    "bottom right"…), as a plain shape and a list of annotations (empty without ``text``): what
    ``fig.add_hline`` adds, without validation."""
    shape = dict(type="line", xref="paper", x0=0, x1=1, y0=y, y1=y, line=line)
    if not text:
        return shape, []
    vertical, horizontal = where.split()
    label = dict(text=text, xref="paper", x=1 if horizontal == "right" else 0, y=y, xanchor=horizontal,
                 yanchor="bottom" if vertical == "top" else "top", showarrow=False, **note)
    return shape, [label]


def base_layout(title: str, height: int = 380, **layout) -> dict:
    """The house style as a layout dict: title, projector-aware fonts and height, margins. A
    ``margin`` or ``legend`` given is merged into the house one (as ``update_layout`` would)."""
    scale = 1.3 if projector() else 1.0
    house = {
        "title": dict(text=title, font=dict(size=round(19 * scale))),
        "font": dict(size=round(FONT["size"] * scale)),
        "height": round(height * (1.15 if projector() else 1.0)),
        "margin": dict(l=60, r=20, t=60, b=50),
        "legend": dict(font=dict(size=round(15 * scale))),
    }
    for key in ("margin", "legend"):
        if key in layout:
            house[key] |= layout.pop(key)
    return house | layout


def style(fig: go.Figure, title: str, height: int = 380, **layout) -> go.Figure:
    """Apply the house style to a figure built elsewhere."""
    fig.update_layout(**base_layout(title, height, **layout))
    return fig


def line(x, y, label: str, i: int, dash: str | None = None, **extra) -> dict:
    """One line trace in the colour of run ``i``. A line of three points or fewer (a run that
    diverged at once) gets markers too: a single point drawn as a line alone would not show."""
    y = np.asarray(y, dtype=np.float32)
    short = len(y) <= 3
    return dict(type="scatter", x=np.asarray(x), y=y, name=label, mode="lines+markers" if short else "lines",
                line=dict(color=color(i), width=3, dash=dash), **({"marker": dict(size=10)} if short else {}),
                **extra)


def axis(title: str, log: bool = False, **extra) -> dict:
    return dict(title=dict(text=title), type="log" if log else "linear", exponentformat="power", **extra)


def show(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, key=key, config={"displaylogo": False})


def lines(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    title: str,
    x_title: str,
    y_title: str,
    log_y: bool = False,
    dash: str | None = None,
) -> go.Figure:
    """One line per label: ``{label: (x, y)}``."""
    data = [line(x, y, label, i, dash) for i, (label, (x, y)) in enumerate(series.items())]
    return figure(data, base_layout(title, xaxis=dict(title=dict(text=x_title)), yaxis=axis(y_title, log_y)))


def loss_curves(trainers: Mapping[str, Trainer], metric: str = "loss", per_epoch: bool = False) -> go.Figure:
    """Train (dotted) and validation (solid) loss or accuracy of each run, at recorded steps
    (or, with ``per_epoch``, against the passes made over the training set)."""
    return figure(*_loss_curves(trainers, metric, per_epoch))


def _loss_curves(trainers: Mapping[str, Trainer], metric: str = "loss", per_epoch: bool = False,
                 **layout) -> tuple[list[dict], dict]:
    data = []
    for i, (label, t) in enumerate(trainers.items()):
        steps = t.recorder.steps()
        if per_epoch:
            n = len(t.dataset.y_train)
            steps = steps * min(t.train_cfg.batch_size, n) / n
        for split, dash in (("train", "dot"), ("val", "solid")):
            name = f"{label} — {'validation' if split == 'val' else 'train'}"
            data.append(line(steps, t.recorder.series(f"{split}_{metric}"), name, i, dash, legendgroup=label))
    is_loss = metric == "loss"
    return data, base_layout(
        f"{'Loss' if is_loss else 'Accuracy'}: train (dotted) and validation (solid)",
        xaxis=dict(title=dict(text="epoch (passes over the training set)" if per_epoch else "step")),
        yaxis=axis(loss_name(trainers) if is_loss else "accuracy", log=is_loss), **layout,
    )


def loss_name(trainers: Mapping[str, Trainer]) -> str:
    """What the runs minimise, for an axis title: cross-entropy, mean squared error, or "loss"."""
    kinds = {getattr(t, "loss", "cross_entropy") for t in trainers.values()}
    if kinds == {"cross_entropy"}:
        return "cross-entropy loss"
    return "mean squared error" if kinds == {"mse"} else "loss"


def run_curves(trainers: Mapping[str, Trainer], metric: str = "loss") -> go.Figure:
    """``loss_curves`` with one legend entry per run (its validation line), the legend below."""
    data, layout = _loss_curves(trainers, metric=metric, height=460, legend=dict(orientation="h", y=-0.25),
                                margin=dict(b=120))
    for trace in data:
        run, split = trace["name"].rsplit(" — ", 1)
        trace.update(name=run, showlegend=split != "train")
    return figure(data, layout)


def layer_series(trainers: Mapping[str, Trainer], attribute: str, title: str, y_title: str,
                 reduce: str = "mean", log_y: bool = False) -> go.Figure:
    """A per-layer quantity over training, reduced over layers (mean or max), one line per run."""
    series = {}
    for label, t in trainers.items():
        values = t.recorder.layer_series(attribute)  # (records, layers)
        if values.size:
            series[label] = (t.recorder.steps(), getattr(np, reduce)(values, axis=1))
    return lines(series, title, "step", y_title, log_y=log_y)


def histogram_heatmap(trainer: Trainer, layer: int, title: str) -> go.Figure:
    """Activation histograms of one hidden layer over training: x = step, y = value."""
    hists = trainer.recorder.histograms(layer)  # (records, bins)
    low, high = trainer.recorder.records[0].layers[layer].act.hist_range
    n_bins = hists.shape[1]
    centers = low + (np.arange(n_bins) + 0.5) * (high - low) / n_bins
    # One bin can hold most values (ReLU's zeros): colour the share on a log scale so the rest
    # of the distribution stays visible next to it.
    floor = 1e-4
    z = np.log10(np.maximum(hists.T, floor)).astype(np.float32)  # (bins, records)
    ticks = [-4, -3, -2, -1, 0]
    heatmap = dict(
        type="heatmap", x=trainer.recorder.steps(), y=centers.astype(np.float32), z=z, zmin=-4, zmax=0,
        colorscale="Viridis",
        colorbar=dict(title=dict(text="share"), tickvals=ticks, ticktext=["≤0.01 %", "0.1 %", "1 %", "10 %", "100 %"]),
    )
    return figure([heatmap], base_layout(title, height=330, xaxis=dict(title=dict(text="step")),
                                         yaxis=dict(title=dict(text="activation value"))))


def decision_boundaries(grids: Mapping[str, tuple[np.ndarray, np.ndarray]],
                        points: tuple[np.ndarray, np.ndarray]) -> go.Figure:
    """One panel per run: P(class 1) over the plane, with the training points on top."""
    labels = list(grids)
    cols = min(len(labels), 5)
    rows = -(-len(labels) // cols)
    x, y = points
    colors = np.where(y == 1, "#08306b", "#fdae61")
    data, layout, titles = [], {}, []
    h_gap, v_gap = 0.03, 0.08
    width, height = (1 - h_gap * (cols - 1)) / cols, (1 - v_gap * (rows - 1)) / rows
    for i, label in enumerate(labels):
        axis_values, p = grids[label]
        r, c = divmod(i, cols)
        n = "" if i == 0 else str(i + 1)
        x0, y1 = c * (width + h_gap), 1 - r * (height + v_gap)
        layout[f"xaxis{n}"] = dict(domain=[x0, x0 + width], anchor=f"y{n}", showticklabels=False)
        layout[f"yaxis{n}"] = dict(domain=[y1 - height, y1], anchor=f"x{n}", showticklabels=False, scaleanchor=f"x{n}")
        data.append(dict(type="heatmap", x=axis_values, y=axis_values, z=p, zmin=0, zmax=1, colorscale="RdBu",
                         showscale=(i == 0), opacity=0.8, colorbar=dict(title=dict(text="P(class 1)"), len=0.9),
                         xaxis=f"x{n}", yaxis=f"y{n}"))
        data.append(dict(type="scatter", x=x[:, 0], y=x[:, 1], mode="markers", showlegend=False,
                         xaxis=f"x{n}", yaxis=f"y{n}",
                         marker=dict(size=6, color=colors, line=dict(width=0.8, color="black"))))
        titles.append(dict(text=label, x=x0 + width / 2, y=y1, xref="paper", yref="paper", xanchor="center",
                           yanchor="bottom", showarrow=False, font=dict(size=16)))
    return figure(data, base_layout(
        "Decision boundary: P(class 1) in colour, training points on top (dark blue = class 1)",
        height=300 * rows + 90, annotations=titles, **layout,
    ))


def bars(labels: Sequence[str], values: Sequence[float], title: str, y_title: str) -> go.Figure:
    bar = dict(type="bar", x=list(labels), y=np.asarray(values, dtype=np.float32), marker_color=PALETTE[0],
               text=[f"{v:.2f}" for v in values], textposition="outside")
    return figure([bar], base_layout(title, height=330, yaxis=dict(title=dict(text=y_title), range=[0, 1.1])))


def _tile(weights: np.ndarray, cols: int) -> np.ndarray:
    """Images (n, 8, 8) tiled ``cols`` to a row with a one-pixel NaN gap: (rows·9 − 1, cols·9 − 1)."""
    rows = -(-len(weights) // cols)
    tiled = np.full((rows * 9 - 1, cols * 9 - 1), np.nan, dtype=np.float32)
    for i, w in enumerate(weights):
        r, c = divmod(i, cols)
        tiled[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = w
    return tiled


def weight_images(panels: dict[str, np.ndarray], cols: int = 4, title: str = "") -> go.Figure:
    """First-layer weights, one 8×8 image per hidden unit, one panel per entry of ``panels``
    (title -> (units, 8, 8)). Red = the unit is excited by ink there, blue = inhibited; one
    symmetric colour scale shared by every panel."""
    tiles = {name: _tile(w, cols) for name, w in panels.items()}
    top = max(float(np.nanmax(np.abs(t))) for t in tiles.values()) or 1.0
    fig = make_subplots(rows=1, cols=len(tiles), subplot_titles=list(tiles), horizontal_spacing=0.03)
    for i, t in enumerate(tiles.values()):
        fig.add_heatmap(z=t, zmin=-top, zmax=top, colorscale="RdBu_r", showscale=(i == 0), row=1, col=i + 1,
                        colorbar=dict(title="weight", len=0.9), hovertemplate="%{z:.2f}<extra></extra>")
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, row=1, col=i + 1)
        fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed",
                         scaleanchor=f"x{i + 1 if i else ''}", row=1, col=i + 1)
    fig.update_annotations(font=dict(size=15))
    rows = next(iter(tiles.values())).shape[0] // 9 + 1
    return style(fig, title, height=110 + 95 * rows)
