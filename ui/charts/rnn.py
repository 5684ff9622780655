"""Figures of the Recurrent networks page, built from ``dlcore.labs.rnn`` data. Nothing here trains."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlcore.labs.rnn import LOG10_FLOOR, BPTTMap, RecurrentTrainer
from ui import charts
from ui.charts import style

CELL_COLORS = {"rnn": "#d62728", "lstm": "#1f77b4", "gru": "#2ca02c"}  # a cell keeps its colour everywhere


def _color(trainer: RecurrentTrainer) -> str:
    return CELL_COLORS[trainer.model_cfg.cell]


def _layout_below(title: str, height: int = 420, **layout) -> dict:
    """The house layout with the legend below the plot, as plain data."""
    return charts.base_layout(title, height=height, legend=dict(orientation="h", yanchor="top", y=-0.25, x=0),
                              margin=dict(b=110), **layout)


# The three charts below are redrawn at every frame of a training run: written as plain data
# (``charts.figure``), without Plotly's per-property validation.
def curves(trainers: Mapping[str, RecurrentTrainer], metric: str, chance: float | None = None) -> go.Figure:
    """Validation (solid) and training (dotted) accuracy or loss of each run over training."""
    data = []
    for label, t in trainers.items():
        steps = t.recorder.steps()
        for split, dash in (("val", "solid"), ("train", "dot")):
            y = t.recorder.series(f"{split}_{metric}")
            data.append(dict(type="scatter", x=steps, y=y, mode="lines+markers" if len(steps) == 1 else "lines",
                             name=f"{label} — {'validation' if split == 'val' else 'train'}", legendgroup=label,
                             line=dict(color=_color(t), width=3 if split == "val" else 2, dash=dash)))
    shapes, notes = [], []
    if chance is not None:
        shape, notes = charts.hline(chance, dict(color="#555", dash="dash", width=2), f"chance {chance:g}")
        shapes.append(shape)
    if metric == "acc":
        yaxis, title = charts.axis("accuracy", range=[0, 1.05]), "Accuracy: recall the first symbol"
    else:
        yaxis, title = charts.axis("cross-entropy loss", log=True), "Loss: validation (solid), train (dotted)"
    return charts.figure(data, _layout_below(title, xaxis=charts.axis("step"), yaxis=yaxis, shapes=shapes,
                                             annotations=notes))


def bptt_profiles(trainers: Mapping[str, RecurrentTrainer]) -> go.Figure:
    """‖∂L/∂x_t‖ / ‖∂L/∂x_T‖ across t for each run: at initialization (dashed) and now (solid)."""
    data = []
    for label, t in trainers.items():
        now = t.recorder.steps()[len(t.grad_norms) - 1]
        for which, dash, name in ((0, "dash", f"{label}, at initialization"), (-1, "solid", f"{label}, step {now}")):
            ratio = t.ratio_at(which)
            shown = [float(v) if np.isfinite(v) and v > 0 else None for v in ratio]
            data.append(dict(type="scatter", x=np.arange(len(ratio)), y=shown, mode="lines", name=name,
                             legendgroup=label, line=dict(color=_color(t), width=3, dash=dash)))
    one, _ = charts.hline(1, dict(color="#999", width=1))
    title = "Backpropagation through time: how much gradient reaches step t<br><sub>relative to the last step; " \
            "log scale</sub>"
    return charts.figure(data, _layout_below(
        title, height=460, shapes=[one],
        xaxis=charts.axis("time step t (0 = the symbol to remember, T = the last distractor)"),
        yaxis=charts.axis("‖∂L/∂x_t‖ / ‖∂L/∂x_T‖", log=True)))


def bptt_heatmaps(maps: Mapping[str, BPTTMap], notes: Mapping[str, str], every: int, total_steps: int) -> go.Figure:
    """One panel per run: time step t (rows, the symbol at the bottom) × training step (columns),
    colour = log₁₀ ‖∂L/∂x_t‖ / ‖∂L/∂x_T‖ on one shared scale. Each x axis spans the whole run, so
    a run that diverged shows a short stripe and its note ("diverged at step 2")."""
    zmin, zmax = heatmap_range(maps)
    cols = len(maps)
    layout = charts.grid_layout(1, cols, subplot_titles=list(maps), horizontal_spacing=0.05)
    for note in layout["annotations"]:
        note["font"] = dict(size=16)
    data = []
    for i, (name, bmap) in enumerate(maps.items()):
        edges = np.append(bmap.steps - every / 2, bmap.steps[-1] + every / 2)  # (n_records + 1,) column edges
        axes = charts.cell(1, i + 1, cols)
        data.append(dict(type="heatmap", x=edges, y=np.arange(bmap.log10_ratio.shape[1]), z=bmap.log10_ratio.T,
                         zmin=zmin, zmax=max(zmax, zmin + 1e-3), colorscale="Viridis", showscale=(i == 0),
                         colorbar=dict(title=dict(text="log₁₀ ratio")),
                         hovertemplate="step %{x:.0f}, t = %{y}<br>log₁₀ ratio = %{z:.1f}<extra></extra>", **axes))
        layout[f"xaxis{axes['xaxis'][1:]}"] |= dict(title=dict(text="training step"),
                                                    range=[-every / 2, total_steps + every / 2])
        if notes.get(name):
            layout["annotations"].append(dict(x=total_steps / 2, y=bmap.log10_ratio.shape[1] / 2, text=notes[name],
                                              showarrow=False, font=dict(size=16, color="#d62728"),
                                              xref=axes["xaxis"], yref=axes["yaxis"]))
    layout["yaxis"] |= dict(title=dict(text="time step t"))
    title = "Gradient reaching step t over training<br><sub>log₁₀ ‖∂L/∂x_t‖ / ‖∂L/∂x_T‖; the symbol to remember " \
            "is t = 0, at the bottom</sub>"
    layout |= charts.base_layout(title, height=430, margin=dict(t=110))
    layout["title"] |= dict(y=0.96, yanchor="top")
    return charts.figure(data, layout)


def heatmap_range(maps: Mapping[str, BPTTMap]) -> tuple[float, float]:
    """One colour scale for every run's map (the floor of zero gradients left out of the minimum)."""
    values = np.concatenate([m.log10_ratio.ravel() for m in maps.values()])
    real = values[values > LOG10_FLOOR]
    low = float(real.min()) if real.size else LOG10_FLOOR
    return max(low, LOG10_FLOOR), float(values.max())


def _gate_panel(fig: go.Figure, z: np.ndarray, row: int, col: int, zmin: float, zmax: float, scale: str,
                colorbar: dict | None) -> None:
    fig.add_heatmap(z=z.T, x=np.arange(z.shape[0]), zmin=zmin, zmax=zmax, colorscale=scale,
                    showscale=colorbar is not None, colorbar=colorbar, row=row, col=col,
                    hovertemplate="t = %{x}, unit %{y}: %{z:.2f}<extra></extra>")
    fig.update_yaxes(title="unit", row=row, col=col)


def lstm_inside(trace: Mapping[str, np.ndarray], title: str) -> go.Figure:
    """The LSTM's forget, input and output gates (0–1) and its cell state, unit × time, for one sequence."""
    names = [("forget", "forget gate f_t (1 = keep)"), ("input", "input gate i_t (1 = write)"),
             ("output", "output gate o_t (1 = show)"), ("cell", "cell state c_t")]
    fig = make_subplots(rows=2, cols=2, subplot_titles=[n for _, n in names], horizontal_spacing=0.12,
                        vertical_spacing=0.2)
    for i, (key, _) in enumerate(names[:3]):
        _gate_panel(fig, trace[key], i // 2 + 1, i % 2 + 1, 0.0, 1.0, "Viridis",
                    dict(title="gate", x=1.0, y=0.79, len=0.42) if i == 0 else None)
    c = trace["cell"]
    bound = max(float(np.abs(c).max()), 1e-6)
    _gate_panel(fig, c, 2, 2, -bound, bound, "RdBu", dict(title="c", x=1.0, y=0.21, len=0.42))
    for r in (1, 2):
        for col in (1, 2):
            fig.update_xaxes(title="time step t", row=r, col=col)
    fig.update_annotations(font=dict(size=15))
    return style(fig, title, height=680)


def gru_inside(trace: Mapping[str, np.ndarray], title: str) -> go.Figure:
    """The GRU's update gate z (PyTorch: 1 = keep the old state) and hidden state, unit × time."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["update gate z_t (1 = keep h_{t−1})", "hidden state h_t"],
                        horizontal_spacing=0.22)
    _gate_panel(fig, trace["update"], 1, 1, 0.0, 1.0, "Viridis", dict(title="z", x=0.41, xanchor="left", len=0.9))
    _gate_panel(fig, trace["hidden"], 1, 2, -1.0, 1.0, "RdBu", dict(title="h", len=0.9))
    for col in (1, 2):
        fig.update_xaxes(title="time step t", row=1, col=col)
    fig.update_annotations(font=dict(size=15))
    return style(fig, title, height=380)
