"""Figures of the Autoencoders page, built from ``dlcore.labs.autoencoder`` data. Nothing here trains."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from dlcore.labs.autoencoder import AnomalyScores, AutoencoderTrainer, CodeMap
from ui import charts
from ui.charts import color, style

DIGIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
INK = [[0, "#ffffff"], [1, "#111111"]]  # 0 = paper, 1 = full ink
LOG_TICKS = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]


def _log_y(fig: go.Figure, title: str) -> None:
    fig.update_yaxes(title=title, type="log", tickmode="array", tickvals=LOG_TICKS,
                     ticktext=[f"{t:g}" for t in LOG_TICKS])


def _legend_below(fig: go.Figure, y: float = -0.25) -> go.Figure:
    fig.update_layout(legend=dict(orientation="h", y=y, font=dict(size=14)))
    return fig


# loss_curves, code_scatter, image_rows and latent_walk are redrawn at every frame of a training run:
# written as plain data (``charts.figure``), without Plotly's per-property validation.
def _log_axis(title: str) -> dict:
    return charts.axis(title, log=True, tickmode="array", tickvals=LOG_TICKS, ticktext=[f"{t:g}" for t in LOG_TICKS])


def loss_curves(trainers: Mapping[str, AutoencoderTrainer], pca_mse: float, mean_mse: float) -> go.Figure:
    """Validation reconstruction error of each run over training, against PCA with as many
    components as the bottleneck, and against predicting the mean image."""
    data = []
    for i, (name, t) in enumerate(trainers.items()):
        label = f"{name} (MSE + β·KL/64)" if t.cfg.variational else name
        data.append(dict(type="scatter", x=t.recorder.steps(), y=t.recorder.series("val_loss"), mode="lines",
                         name=label, line=dict(color=color(i), width=3)))
    k = next(iter(trainers.values())).cfg.latent
    shapes = [charts.hline(pca_mse, dict(color="black", dash="dash", width=2))[0],
              charts.hline(mean_mse, dict(color="grey", dash="dot", width=2))[0]]
    notes = [dict(x=1, xref="paper", y=np.log10(pca_mse), text=f"PCA, {k} components", showarrow=False,
                  xanchor="right", yanchor="top", font=dict(size=14)),
             dict(x=1, xref="paper", y=np.log10(mean_mse), text="mean image", showarrow=False,
                  xanchor="right", yanchor="bottom", font=dict(size=14, color="grey"))]
    return charts.figure(data, charts.base_layout(
        "Reconstruction error on validation digits", height=420, shapes=shapes, annotations=notes,
        xaxis=charts.axis("step"), yaxis=_log_axis("validation MSE per pixel"),
        legend=dict(orientation="h", y=-0.25, font=dict(size=14))))


def code_scatter(codes: CodeMap, name: str = "autoencoder") -> go.Figure:
    """Every validation digit placed by its 2-D code (left) and by PCA's first two coordinates
    (right), coloured by the digit it shows — a label the autoencoder never saw. Written as plain
    data (``charts.grid_layout``): it is redrawn at every frame of a training run."""
    left = (f"{name}: the 2-D code" if codes.latent == 2
            else f"{name}: its {codes.latent}-D code, top 2 principal directions")
    layout = charts.grid_layout(1, 2, horizontal_spacing=0.08, subplot_titles=[
        f"{left}<br>5-NN accuracy {codes.ae_knn:.2f}",
        f"PCA: first 2 components<br>5-NN accuracy of PCA-{codes.latent} {codes.pca_knn:.2f}"])
    data = []
    for col, points in ((1, codes.ae), (2, codes.pca)):
        for d in range(10):
            sel = codes.labels == d
            data.append(dict(type="scatter", x=points[sel, 0], y=points[sel, 1], mode="markers", name=str(d),
                             legendgroup=str(d), showlegend=col == 1,
                             marker=dict(size=6, color=DIGIT_COLORS[d], opacity=0.8),
                             hovertemplate=f"digit {d}<extra></extra>", **charts.cell(1, col, 2)))
    for note in layout["annotations"]:
        note["font"] = dict(size=15)
    charts.update_axes(layout, "x", showticklabels=False)
    charts.update_axes(layout, "y", showticklabels=False)
    layout |= charts.base_layout("Where each validation digit lands (colour: the digit, never used in training)",
                                 height=470, legend=dict(title=dict(text="digit"), itemsizing="constant",
                                                         orientation="h", y=-0.05))
    layout["margin"] |= dict(t=110, b=60)
    return charts.figure(data, layout)


def _mosaic(images: np.ndarray, gap: int = 1) -> np.ndarray:
    """(rows, cols, 8, 8) images into one array with NaN gaps between them."""
    rows, cols, h, w = images.shape
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    for r in range(rows):
        for c in range(cols):
            out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = images[r, c]
    return out


def image_rows(rows: Mapping[str, np.ndarray], title: str, column_labels=None) -> go.Figure:
    """Rows of 8×8 images, each row named on the left: ``{name: (m, 8, 8)}``."""
    names = list(rows)
    grid = _mosaic(np.stack([rows[n] for n in names]))  # (len(names)·9 − 1, m·9 − 1)
    m = len(next(iter(rows.values())))
    heatmap = dict(type="heatmap", z=grid, zmin=0, zmax=1, colorscale=INK, showscale=False,
                   hovertemplate="ink %{z:.2f}<extra></extra>")
    labels = column_labels if column_labels is not None else [""] * m
    return charts.figure([heatmap], charts.base_layout(
        title, height=55 * len(names) + (120 if column_labels is not None else 90), plot_bgcolor="#dddddd",
        margin=dict(l=190, r=20, t=90 if column_labels is not None else 60, b=10),
        yaxis=dict(autorange="reversed", tickvals=[9 * i + 3.5 for i in range(len(names))], ticktext=names,
                   scaleanchor="x", showgrid=False, zeroline=False, constrain="domain"),
        xaxis=dict(tickvals=[9 * i + 3.5 for i in range(m)], ticktext=list(labels), showgrid=False,
                   zeroline=False, side="top", constrain="domain", showticklabels=column_labels is not None)))


def latent_walk(images: np.ndarray, axis: np.ndarray, title: str) -> go.Figure:
    """The decoder's output over a grid of latent points: (n, n, 8, 8), the top row at the
    largest second coordinate."""
    n = len(axis)
    heatmap = dict(type="heatmap", z=_mosaic(images), zmin=0, zmax=1, colorscale=INK, showscale=False,
                   hovertemplate="ink %{z:.2f}<extra></extra>")
    ticks = [9 * i + 3.5 for i in range(n)]
    return charts.figure([heatmap], charts.base_layout(
        title, height=470, plot_bgcolor="#dddddd", margin=dict(t=80, l=70),
        xaxis=dict(tickvals=ticks, ticktext=[f"{a:.1f}" for a in axis], title=dict(text="code, 1st coordinate"),
                   showgrid=False, zeroline=False, constrain="domain"),
        yaxis=dict(tickvals=ticks, ticktext=[f"{a:.1f}" for a in axis[::-1]], title=dict(text="2nd coordinate"),
                   autorange="reversed", scaleanchor="x", showgrid=False, zeroline=False, constrain="domain")))


def mse_vs_size(ks: np.ndarray, pca: np.ndarray, mean_mse: float, points: Mapping[str, tuple[int, float]],
                sweep: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None) -> go.Figure:
    """Validation MSE against the number of components / bottleneck size: PCA's curve, the mean
    image, the runs of this page as points, and (if given) a sweep of sizes as dashed lines."""
    fig = go.Figure()
    for i, (name, (sizes, values)) in enumerate((sweep or {}).items()):
        fig.add_scatter(x=sizes, y=values, mode="lines+markers", name=f"{name} at every size",
                        line=dict(color=color(i), width=2, dash="dash"), marker=dict(size=7))
    fig.add_scatter(x=ks, y=pca, mode="lines+markers", name="PCA with k components",
                    line=dict(color="black", width=2), marker=dict(size=5))
    fig.add_hline(y=mean_mse, line=dict(color="grey", dash="dot", width=2))
    fig.add_annotation(x=1, xref="paper", y=np.log10(mean_mse), text="mean image (k = 0)", showarrow=False,
                       xanchor="right", yanchor="bottom", font=dict(size=14, color="grey"))
    symbols = ["circle", "diamond", "square", "triangle-up"]
    for i, (name, (k, value)) in enumerate(points.items()):
        fig.add_scatter(x=[k], y=[value], mode="markers", name=f"{name}: {value:.4f}",
                        marker=dict(size=16, color=color(i), symbol=symbols[i % 4], line=dict(width=1, color="black")))
    fig.update_xaxes(title="k: components (PCA) or bottleneck size (autoencoder)")
    _log_y(fig, "validation MSE per pixel")
    return _legend_below(style(fig, "Reconstruction error against the size of the code", height=440), y=-0.3)


def denoising_bars(table: Mapping[str, Mapping[str, float]], noise: float) -> go.Figure:
    """Validation MSE against the clean images, for clean and for noisy inputs, per model."""
    names = list(table)
    fig = go.Figure()
    for i, (kind, label) in enumerate((("clean", "clean inputs"), ("noisy", f"noisy inputs (σ = {noise:g})"))):
        vals = [table[n][kind] for n in names]
        fig.add_bar(x=names, y=vals, name=label, marker_color=["#2ca02c", "#d62728"][i],
                    text=[f"{v:.3f}" for v in vals], textposition="outside")
    fig.update_yaxes(title="MSE against the clean image")
    fig.update_xaxes(type="category")
    fig = style(fig, "Denoising: trained on noisy inputs, tested on clean and noisy", height=420, barmode="group")
    return _legend_below(fig)


def anomaly_histogram(scores: AnomalyScores) -> go.Figure:
    """Reconstruction error per image for each kind of input (log-spaced bins), with the
    threshold at the digits' 95th percentile."""
    every = np.concatenate(list(scores.scores.values()))
    edges = np.logspace(np.log10(max(every.min(), 1e-5)), np.log10(every.max() * 1.01), 41)
    centres = np.sqrt(edges[:-1] * edges[1:])
    fig = go.Figure()
    for i, (kind, values) in enumerate(scores.scores.items()):
        counts, _ = np.histogram(values, edges)
        fig.add_bar(x=centres, y=counts / len(values), width=np.diff(edges), opacity=0.6, marker_color=color(i),
                    name=f"{kind}: {scores.flagged[kind]:.0%} flagged")
    fig.add_vline(x=scores.threshold, line=dict(color="black", dash="dash", width=2))
    fig.add_annotation(x=np.log10(scores.threshold), y=1, yref="paper", text="threshold", showarrow=False,
                       xanchor="left", font=dict(size=14))
    fig.update_xaxes(title="reconstruction error of the image (MSE per pixel)", type="log", tickmode="array",
                     tickvals=LOG_TICKS, ticktext=[f"{t:g}" for t in LOG_TICKS])
    fig.update_yaxes(title="share of the images")
    fig = style(fig, "Anomaly score = reconstruction error", height=420, barmode="overlay")
    return _legend_below(fig)
