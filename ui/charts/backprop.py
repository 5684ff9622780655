"""Figures of the Backpropagation page: the computational graph at one step of the
walk-through, and the tiny network's loss, gradients and parameters over training."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dlcore.labs.backprop import SUBSCRIPTS_BACK, Walkthrough
from ui.charts import color, style

COLUMN_TITLES = ["inputs x,<br>weights w, b", "weighted<br>sums z", "activations h,<br>weights v, c",
                 "output o", "loss L"]
DASHES = {"w1": "solid", "w2": "dash", "b": "dot", "v": "dashdot"}  # one dash per kind of parameter
UNKNOWN, FORWARD, BACKWARD, CURRENT = "#eeeeee", "#dbe9f6", "#fde3c8", "#d62728"


def _rows(walk: Walkthrough) -> dict[str, tuple[float, float]]:
    """(x, y) of every node: x = its network layer, y spread evenly and centred in the column.
    Inputs sit between the hidden units' weights; each h sits next to the v that multiplies it."""
    nodes = walk.forward.nodes
    hidden = sum(1 for n in nodes.values() if n.kind == "activation")
    units = [[f"w{j}1", f"w{j}2", f"b{j}"] for j in range(1, hidden + 1)]
    first = [name for unit in units[: (hidden + 1) // 2] for name in unit] + ["x1", "x2"]
    first += [name for unit in units[(hidden + 1) // 2:] for name in unit]
    columns = [first, [f"z{j}" for j in range(1, hidden + 1)],
               [n for j in range(1, hidden + 1) for n in (f"h{j}", f"v{j}")] + ["c"], ["o"], ["L"]]
    plain = {name.translate(SUBSCRIPTS_BACK): name for name in nodes}
    pos = {}
    for x, names in enumerate(columns):
        for i, name in enumerate(names):
            pos[plain[name]] = (float(x), (len(names) - 1) / 2 - i)
    return pos


def _state(walk: Walkthrough, position: int) -> tuple[set[str], set[str], str]:
    """Which nodes have a value, which a gradient, and the current one, after ``position`` visits."""
    nodes = walk.forward.nodes
    valued = {n for n, v in nodes.items() if not v.parents}
    graded: set[str] = set()
    for visit in walk.visits[1 : position + 1]:
        (valued if visit.phase == "forward" else graded).add(visit.node)
    return valued, graded, walk.visits[position].node


def computational_graph(walk: Walkthrough, position: int, target: float) -> go.Figure:
    """The graph after ``position`` visits: every node shows its value once the forward pass has
    reached it and its gradient ∂L/∂(node) once the backward pass has; edges that carried the
    gradient turn orange, the current node and its edges red."""
    nodes, pos = walk.forward.nodes, _rows(walk)
    valued, graded, current = _state(walk, position)
    edges = {"forward": ([], []), "gradient": ([], []), "current": ([], [])}
    for name, node in nodes.items():
        for parent in node.parents:
            kind = "gradient" if parent.name in graded else "forward"
            phase = walk.visits[position].phase
            if (phase == "forward" and name == current) or (phase == "backward" and parent.name == current):
                kind = "current"  # forward: the inputs of the node; backward: the gradients it receives
            xs, ys = edges[kind]
            (x0, y0), (x1, y1) = pos[parent.name], pos[name]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
    fig = go.Figure()
    styles = {"forward": ("#888888", 2, "value flows forward"), "gradient": ("#ff7f0e", 3, "gradient flowed back"),
              "current": (CURRENT, 4, "current step")}
    for kind, (xs, ys) in edges.items():
        line_color, width, label = styles[kind]
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=line_color, width=width), name=label,
                        hoverinfo="skip")
    names = list(nodes)
    hover = [f"{n}: {nodes[n].formula or nodes[n].kind}" for n in names]
    fig.add_scatter(x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers",
                    marker=dict(size=10, color="#444444"), hovertext=hover, hoverinfo="text", showlegend=False)
    for name, node in nodes.items():
        value = f"{node.data:.3g}" if name in valued else "?"
        grad = f"{node.grad:.3g}" if name in graded else "?"
        extra = f" (y = {target:g})" if node.kind == "loss" else ""
        text = f"<b>{name}</b> = {value}{extra}<br><span style='color:#b34700'>∂L/∂{name} = {grad}</span>"
        fill = BACKWARD if name in graded else (FORWARD if name in valued else UNKNOWN)
        fig.add_annotation(x=pos[name][0], y=pos[name][1], text=text.replace("-", "−"), showarrow=False,
                           bgcolor=fill, bordercolor=CURRENT if name == current else "#555555",
                           borderwidth=4 if name == current else 1, borderpad=5, font=dict(size=15, color="#111"))
    top = max(y for _, y in pos.values())
    for x, title in enumerate(COLUMN_TITLES):
        fig.add_annotation(x=x, y=top + 1.0, text=f"<i>{title}</i>", showarrow=False, font=dict(size=14, color="#555"))
    fig.update_xaxes(visible=False, range=[-0.55, 4.55])
    fig.update_yaxes(visible=False, range=[-top - 0.7, top + 1.4])
    visit = walk.visits[position]
    where = "start" if visit.phase == "start" else f"{visit.phase} pass at {visit.node}"
    rows = 2 * top + 1
    style(fig, f"Computational graph — step {position} of {len(walk.visits) - 1}: {where}",
          height=int(max(430, 62 * rows + 160)), plot_bgcolor="white")
    fig.update_layout(legend=dict(orientation="h", y=-0.02))
    return fig


LOG_TICKS = [m * 10.0**e for e in range(-6, 5) for m in (1, 3)]  # 0.001, 0.003, 0.01, … on log axes


def training_loss(steps: np.ndarray, loss: np.ndarray, title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=steps, y=loss.astype(np.float32), mode="lines", name="loss", line=dict(color=color(0), width=3))
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="mean loss over the batch", type="log", tickvals=LOG_TICKS, tickformat="~g")
    return style(fig, title, height=340)


def parameter_lines(steps: np.ndarray, values: np.ndarray, names: list[str], title: str, y_title: str,
                    log_y: bool = False) -> go.Figure:
    """One line per parameter (columns of ``values``): colour = hidden unit, dash = kind
    (w·₁ solid, w·₂ dashed, b dotted, v dash-dot; the output bias c in black). On a log axis an
    exact 0 (a switched-off ReLU unit) leaves a gap."""
    fig = go.Figure()
    for i, name in enumerate(names):
        plain = name.translate(SUBSCRIPTS_BACK)  # "w12", "b1", "v2", "c"
        kind = plain[0] + plain[2] if plain[0] == "w" else plain[0]
        line = dict(color="#111111", width=3) if name == "c" else dict(color=color(int(plain[1]) - 1), width=2.5,
                                                                       dash=DASHES[kind])
        fig.add_scatter(x=steps, y=values[:, i].astype(np.float32), mode="lines", name=name, line=line)
    fig.update_xaxes(title="step")
    fig.update_yaxes(title=y_title, type="log" if log_y else "linear", tickvals=LOG_TICKS if log_y else None,
                     tickformat="~g")
    style(fig, title, height=460)
    fig.update_layout(legend=dict(orientation="h", y=-0.22, x=0), margin=dict(b=20))
    return fig
