"""Normalization: what BatchNorm and LayerNorm normalise, and what that does to a deep network."""

from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from dlcore.experiments import Comparison
from dlcore.labs.normalization import NORMALIZATION, batch_norm, layer_norm, lr_sweep
from dlcore.layers.activations import LABELS
from ui import charts, comparison, live, page, predict, upload
from ui.controls import checked
from ui.runtime import device

PAGE, NORMS = "normalization", {"none": "no normalization", "batch": "BatchNorm", "layer": "LayerNorm"}
LRS = (0.03, 0.1, 0.3, 1.0, 3.0)
base = NORMALIZATION
c = page.begin(PAGE)

# --- What each one normalises -----------------------------------------------------------------
st.subheader("Which way the statistics run")
x = torch.randn(8, 6, generator=torch.Generator().manual_seed(1)) * torch.tensor([0.5, 1, 2, 4, 1, 3]) + 2
cols = st.columns(3)
for col, (title, m) in zip(cols, [("activations x", x), ("BatchNorm: each column (unit)", batch_norm(x)),
                                  ("LayerNorm: each row (example)", layer_norm(x))]):
    fig = go.Figure(go.Heatmap(z=m.numpy().astype(np.float32), colorscale="RdBu", zmid=0, texttemplate="%{z:.1f}",
                               colorbar=dict(title="value")))
    fig.update_xaxes(title="unit")
    fig.update_yaxes(title="example in the batch", autorange="reversed")
    with col:
        charts.show(charts.style(fig, title, height=360), f"norm.matrix.{title[:5]}")

# --- Train a deep network with each -----------------------------------------------------------
st.subheader("A deep network with and without normalization")
cols = st.columns(5)
with cols[0]:
    act = c.select("act", "Activation", ["relu", "tanh", "sigmoid"], default=base.model.activation,
                   format_func=LABELS.get)
with cols[1]:
    init = c.select("init", "Initialization", ["auto", "small_normal", "large_normal"], default="auto",
                    format_func={"auto": "auto (He / Xavier)", "small_normal": "N(0, 0.01²)",
                                 "large_normal": "N(0, 1)"}.get)
with cols[2]:
    lr = c.select_slider("lr", "Learning rate (plain SGD)", list(LRS), default=base.train.lr)
with cols[3]:
    depth = c.slider("depth", "Hidden layers", 2, 16, default=base.model.depth, step=1)
with cols[4]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)


def final_val_loss(run: live.LiveRun) -> dict[str, float]:
    """The last validation loss of every run that did not blow up (a diverged run is not the lowest)."""
    return {n: t.recorder.records[-1].val_loss for n, t in run.trainers.items() if not t.diverged}


guess = predict.ask(c, predict.Question.which(
    f"At this learning rate ({lr:g}), which ends with the lowest validation loss?", choices=list(NORMS.values()),
    measure=final_val_loss, highest=False, label="validation loss at the end",
    may_diverge=(NORMS["none"],)))
c.publish()
own = upload.own_data(c.page, sample=base.data.name, forms=("2d",), seed=seed)
if own is not None:
    st.info(f"These runs train on your file instead of the {base.data.name} set (the learning-rate sweep below "
            f"still trains on the {base.data.name} set).")
model = checked(lambda: replace(base.model, activation=act, init=init, depth=depth))
run = comparison.start(c, lambda: Comparison.over(
    replace(base.data, seed=seed), model, replace(base.train, lr=lr, seed=seed), "model.norm", list(NORMS),
    list(NORMS.values()), upload=own,
))
predict.hold(guess, run)


def per_layer(trainers, attribute: str, title: str, y_title: str) -> go.Figure:
    """The latest record's value per layer, one line per run."""
    series = {}
    for name, t in trainers.items():
        values = t.recorder.layer_series(attribute)[-1]
        series[name] = (np.arange(1, len(values) + 1), values)
    return charts.lines(series, title, "layer", y_title, log_y=True)


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    charts.show(charts.loss_curves(trainers), f"norm.loss.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(per_layer(trainers, "act.std", "Activation std per layer (latest record)", "std (log)"),
                    f"norm.std.{f}")
    with right:
        charts.show(per_layer(trainers, "grad_norm", "Weight-gradient norm per layer (latest record)",
                              "‖∂L/∂W‖ (log)"), f"norm.grad.{f}")
    st.caption("A line that stops or is missing has reached exactly 0, which a log axis cannot draw: "
               "a knocked-out ReLU network passes no signal and no gradient at all.")


comparison.play(run, draw)
predict.reveal(guess, run)

# --- Learning-rate sweep ----------------------------------------------------------------------
st.subheader("How large a learning rate can each take?")


@st.cache_data(show_spinner="Training 15 networks…")
def sweep(data, model, train) -> dict[str, np.ndarray]:
    return lr_sweep(data, model, train, tuple(NORMS), LRS, device())


if st.button("Run the sweep: 3 normalizations × 5 learning rates", key="norm.sweep"):
    st.session_state["norm.sweep_for"] = run.config_hash
if st.session_state.get("norm.sweep_for") == run.config_hash:
    losses = sweep(replace(base.data, seed=seed), model, replace(base.train, seed=seed))
    charts.show(charts.lines({NORMS[k]: (LRS, v) for k, v in losses.items()},
                             "Final validation loss against learning rate (gaps: diverged)", "learning rate (log)",
                             "validation loss (log)", log_y=True).update_xaxes(type="log"), "norm.sweep.chart")

page.footer(PAGE)
