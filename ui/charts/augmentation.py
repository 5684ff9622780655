"""Figures of the Data augmentation page, built from ``dlcore.labs.augmentation`` data. Nothing here trains."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from dlcore.labs.augmentation import Calibration
from ui import charts
from ui.charts import color, style


# batch_grid, robustness_heatmap and gain_bars are redrawn at every frame of a training run: written
# as plain data (``charts.figure``), without Plotly's per-property validation.
def batch_grid(previews: Mapping[str, np.ndarray]) -> go.Figure:
    """The last mini-batch of each run as the network saw it: one row per run, one image per column,
    tiled into one heatmap with a blank pixel between images."""
    labels = list(previews)
    n, side = next(iter(previews.values())).shape[:2]
    cell = side + 1
    canvas = np.full((len(labels) * cell - 1, n * cell - 1), np.nan, dtype=np.float32)
    for r, label in enumerate(labels):
        for c, image in enumerate(previews[label]):
            canvas[r * cell:r * cell + side, c * cell:c * cell + side] = image
    heatmap = dict(type="heatmap", z=canvas, colorscale="gray_r", zmin=0, zmax=1, showscale=False,
                   hovertemplate="%{z:.2f}<extra></extra>")
    return charts.figure([heatmap], charts.base_layout(
        "One batch, as each run's network saw it at its last step (first 8 images)", height=90 + 75 * len(labels),
        margin=dict(l=160, r=20, t=50, b=10),
        xaxis=dict(showticklabels=False, showgrid=False, zeroline=False, constrain="domain"),
        yaxis=dict(tickvals=[r * cell + side / 2 - 0.5 for r in range(len(labels))], ticktext=labels,
                   autorange="reversed", showgrid=False, zeroline=False, scaleanchor="x")))


def robustness_heatmap(table: Mapping[str, Mapping[str, float]]) -> go.Figure:
    """Validation accuracy of each run (rows) on each varied test set (columns)."""
    runs = list(table)
    tests = list(next(iter(table.values())))
    z = np.array([[table[r][t] for t in tests] for r in runs], dtype=np.float32)
    heatmap = dict(type="heatmap", z=z, x=tests, y=runs, zmin=0, zmax=1, colorscale="Viridis", showscale=False,
                   text=[[f"{v:.2f}" for v in row] for row in z], texttemplate="%{text}",
                   textfont=dict(size=16), hovertemplate="%{y} on %{x}: %{z:.3f}<extra></extra>")
    return charts.figure([heatmap], charts.base_layout(
        "Validation accuracy on varied digits", height=150 + 50 * len(runs), margin=dict(l=170, r=20, t=60, b=60),
        yaxis=dict(autorange="reversed")))


def gain_bars(table: Mapping[str, Mapping[str, float]], baseline: str) -> go.Figure:
    """Accuracy of each run minus the baseline run's, per test set, in points (grouped bars)."""
    base = table[baseline]
    data = []
    for i, (run, accs) in enumerate(table.items()):
        if run == baseline:
            continue
        gains = [100 * (accs[t] - base[t]) for t in base]
        data.append(dict(type="bar", x=list(base), y=np.asarray(gains, dtype=np.float32), name=run,
                         marker=dict(color=color(i)),
                         hovertemplate=f"{run}<br>%{{x}}: %{{y:+.1f}} points<extra></extra>"))
    zero, _ = charts.hline(0, dict(color="grey", width=1))
    return charts.figure(data, charts.base_layout(
        f"Validation gain over “{baseline}”", height=420, barmode="group", shapes=[zero],
        yaxis=charts.axis("accuracy points"), legend=dict(orientation="h", y=-0.15), margin=dict(b=90)))


def reliability(cals: Mapping[str, Calibration]) -> go.Figure:
    """Reliability diagram: accuracy against confidence per bin; the diagonal is perfect calibration."""
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated", line=dict(color="grey", dash="dash"))
    for i, (run, cal) in enumerate(cals.items()):
        keep = cal.counts > 0
        fig.add_scatter(x=cal.confidence[keep], y=cal.accuracy[keep], mode="lines+markers",
                        name=f"{run} (ECE {cal.ece:.3f})", line=dict(color=color(i), width=3),
                        marker=dict(size=np.clip(4 + 40 * cal.counts[keep] / cal.counts.sum(), 4, 22)))
    fig.update_xaxes(title="confidence (max probability)", range=[0, 1.02])
    fig.update_yaxes(title="accuracy", range=[0, 1.02])
    fig = style(fig, "Reliability diagram (validation; marker size = examples in the bin)", height=460)
    fig.update_layout(legend=dict(orientation="h", y=-0.2), margin=dict(b=120))
    return fig
