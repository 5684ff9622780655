"""Figures of the Representation learning page, built from ``dlcore.labs.representation`` data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from dlcore.labs.representation import ProbeResult, Snapshot, TransferResult
from ui import charts
from ui.charts import color, style

DIGIT_COLORS = qualitative.D3  # ten colours, one per digit


def _legend_below(fig: go.Figure, y: float = -0.25) -> go.Figure:
    fig.update_layout(legend=dict(orientation="h", y=y, font=dict(size=14)), margin=dict(b=100))
    return fig


# views and separation are redrawn at every frame of a training run: written as plain data
# (``charts.grid_layout``, ``charts.figure``), without Plotly's per-property validation.
def views(rows: Sequence[tuple[str, Snapshot]], names: Sequence[str], labels: np.ndarray) -> go.Figure:
    """The 2-D PCA view of every depth (columns) at a few steps (rows), one colour per digit."""
    cols = len(names)
    titles = [f"{name} — {row}" for row, _ in rows for name in names]
    layout = charts.grid_layout(len(rows), cols, subplot_titles=titles, horizontal_spacing=0.02,
                                vertical_spacing=0.09)
    data = []
    for r, (_, snap) in enumerate(rows):
        for c, coords in enumerate(snap.coords):
            for digit in range(10):
                pts = coords[labels == digit]
                data.append(dict(type="scatter", x=pts[:, 0], y=pts[:, 1], mode="markers", name=str(digit),
                                 legendgroup=str(digit), showlegend=(r == 0 and c == 0),
                                 marker=dict(size=5, color=DIGIT_COLORS[digit], opacity=0.8),
                                 hovertemplate=f"digit {digit}<extra></extra>", **charts.cell(r + 1, c + 1, cols)))
    charts.update_axes(layout, "x", showticklabels=False)
    charts.update_axes(layout, "y", showticklabels=False)
    for note in layout["annotations"]:
        note["font"] = dict(size=15)
    title = "The validation digits in each layer's first two principal components"
    layout |= charts.base_layout(title, height=300 * len(rows) + 90,
                                 legend=dict(title=dict(text="digit"), itemsizing="constant"))
    return charts.figure(data, layout)


def separation(steps: np.ndarray, values: np.ndarray, names: Sequence[str], title: str, y_title: str) -> go.Figure:
    """One line per depth over training; the pixels (constant) as a dashed grey line."""
    data = []
    for i, name in enumerate(names):
        line = dict(color="grey", width=2, dash="dash") if i == 0 else dict(color=color(i - 1), width=3)
        data.append(dict(type="scatter", x=steps, y=values[:, i], mode="lines+markers" if len(steps) < 3 else "lines",
                         name=name, line=line))
    return charts.figure(data, charts.base_layout(
        title, height=380, xaxis=charts.axis("step"), yaxis=charts.axis(y_title), margin=dict(b=100),
        legend=dict(orientation="h", y=-0.25, font=dict(size=14))))


def probes(result: ProbeResult) -> go.Figure:
    """Linear-probe accuracy per depth, untrained and trained network side by side."""
    fig = go.Figure()
    for i, (label, vals) in enumerate((("untrained network", result.before), ("trained network", result.after))):
        fig.add_bar(x=list(result.names), y=np.asarray(vals, dtype=np.float32), name=label, marker_color=color(i),
                    text=[f"{v:.2f}" for v in vals], textposition="outside")
    fig.update_yaxes(title="validation accuracy", range=[0, 1.12])
    fig.update_xaxes(title="features the probe reads")
    title = f"Linear probe per layer<br><sub>logistic regression on frozen features, {result.labels} labels</sub>"
    fig = style(fig, title, height=420, barmode="group")
    fig.update_layout(margin=dict(t=90))
    return _legend_below(fig, y=-0.3)


def transfer(result: TransferResult) -> go.Figure:
    """Accuracy on digits 5–9 of every method, for each source network (mean ± std over draws)."""
    fig = go.Figure()
    for i, (source, scores) in enumerate(result.mean.items()):
        methods = list(scores)
        fig.add_bar(x=methods, y=np.asarray([scores[m] for m in methods], dtype=np.float32),
                    error_y=dict(type="data", array=[result.std[source][m] for m in methods]),
                    name=f"source network trained on {source}", marker_color=color(i + 2),
                    text=[f"{scores[m]:.2f}" for m in methods], textposition="inside")
    fig.update_yaxes(title="accuracy on the other 5–9 images", range=[0, 1.05])
    title = (f"Transfer to digits 5–9 with {result.labels_per_class} labelled image(s) per digit"
             "<br><sub>pixels and from-scratch use no source network: the same in both colours</sub>")
    fig = style(fig, title, height=460, barmode="group")
    fig.update_layout(margin=dict(t=90))
    return _legend_below(fig, y=-0.35)
