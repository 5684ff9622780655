"""Activation functions: their shapes and slopes, softmax, and the same network trained with each."""

from dataclasses import replace

import numpy as np
import streamlit as st
import torch

from dlcore import boundary
from dlcore.config import DATASETS
from dlcore.experiments import Comparison
from dlcore.labs.activations import ACTIVATIONS
from dlcore.layers import activations as act
from ui import charts, comparison, live, page, predict, upload

PAGE, NAMES = "activations", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu"]
INIT_LABELS = {"xavier_normal": "Xavier (normal)", "he_normal": "He (normal)", "small_normal": "N(0, 0.01²)",
               "large_normal": "N(0, 1)"}
base = ACTIVATIONS
c = page.begin(PAGE)
label = act.LABELS.get

# --- The functions and their slopes -----------------------------------------------------------
st.subheader("The functions and their slopes")
chosen = c.multiselect("fns", "Activations", NAMES, default=NAMES, format_func=label)
x = torch.linspace(-5, 5, 401)
curves = {label(n): act.curve_and_derivative(n, x) for n in chosen}
left, right = st.columns(2)
with left:
    charts.show(charts.lines({k: (x, f) for k, (f, _) in curves.items()}, "f(x)", "x", "f(x)"), "act.f")
with right:
    charts.show(charts.lines({k: (x, d) for k, (_, d) in curves.items()}, "f′(x), by autograd", "x", "f′(x)"),
                "act.df")

st.subheader("Softmax: from logits to probabilities")


@st.fragment  # moving these sliders reruns this section only, not the training below
def softmax_explorer() -> None:
    cols = st.columns(5)
    logits = []
    for i, (col, v) in enumerate(zip(cols[:4], (2.0, 1.0, 0.0, -1.0))):
        with col:
            logits.append(c.slider(f"z{i + 1}", f"logit z{i + 1}", -5.0, 5.0, default=v, step=0.5))
    with cols[4]:
        temperature = c.select_slider("T", "temperature T", [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0], default=1.0)
    probs = act.softmax(torch.tensor(logits), temperature).numpy()
    charts.show(charts.bars([f"z{i + 1}" for i in range(4)], probs, f"softmax(z / {temperature:g})", "probability"),
                "act.softmax")
    c.publish(caption=False)  # keep the link in step when only this section reruns


softmax_explorer()

# --- Train the same network with each activation ----------------------------------------------
st.subheader("Train the same network with each activation")
st.caption("Same data, same initial-weight scheme, same seed, same mini-batches: only the activation differs.")
cols = st.columns(4)
with cols[0]:
    data_name = c.select("data", "Data set", [d for d in DATASETS if d != "digits"], default=base.data.name)
    depth = c.slider("depth", "Hidden layers", 1, 10, default=base.model.depth, step=1)
with cols[1]:
    width = c.select_slider("width", "Units per layer", [4, 8, 16, 32, 64], default=base.model.width)
    init = c.select("init", "Initialization", ["xavier_normal", "he_normal", "small_normal", "large_normal"],
                    default=base.model.init, format_func=INIT_LABELS.get)
with cols[2]:
    lr = c.select_slider("lr", "Learning rate", [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
                         default=base.train.lr)
    bias = c.slider("bias", "Initial hidden bias", -4.0, 1.0, default=0.0, step=0.5,
                    help="A large negative bias switches ReLU units off from the start.")
with cols[3]:
    steps = c.select_slider("steps", "Steps", [100, 200, 300, 500, 1000], default=base.train.steps)
    seed = c.number("seed", "Seed", 0, 9999, default=0)
labels = [label(n) for n in chosen]
guess = predict.ask(c, predict.Question.which(
    "Which activation will barely learn (end with the highest validation loss)?", choices=labels,
    measure=lambda run: {n: t.recorder.records[-1].val_loss for n, t in run.trainers.items()},
    label="validation loss at the end") if len(labels) > 1 else None)
c.publish()
own = upload.own_data(c.page, sample=data_name, forms=("2d",), seed=seed)
if own is not None:
    st.info(f"These runs train on your file instead of the {data_name} set.")

run = comparison.start(c, lambda: Comparison.over(
    replace(base.data, name=data_name, seed=seed),
    replace(base.model, depth=depth, width=width, init=init, bias_init=bias),
    replace(base.train, lr=lr, steps=steps, seed=seed),
    "model.activation", chosen, labels, upload=own,
), selected=chosen, empty="Pick at least one activation above to train.")
predict.hold(guess, run)
pick = st.columns(2)
hist_run = pick[0].selectbox("Histograms of", list(run.trainers), key="act.hist_run")
hist_layer = pick[1].selectbox("Hidden layer", range(1, depth + 1), key="act.hist_layer") - 1


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    charts.show(charts.loss_curves(trainers), f"act.loss.{f}")
    first = next(iter(trainers.values()))
    grids = {name: boundary.probability_grid(t) for name, t in trainers.items()}
    points = (first.dataset.x_train.cpu().numpy(), first.dataset.y_train.cpu().numpy())
    charts.show(charts.decision_boundaries(grids, points), f"act.boundary.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(charts.histogram_heatmap(trainers[hist_run], hist_layer,
                                             f"{hist_run}: layer {hist_layer + 1} activations over training"),
                    f"act.hist.{f}")
    with right:
        charts.show(charts.layer_series(trainers, "act.dead_frac", "Dead units (ReLU never fires)",
                                        "share of units, mean over layers"), f"act.dead.{f}")
    charts.show(charts.layer_series(trainers, "act.saturated_frac", "Saturated outputs (flat tails)",
                                    "share of outputs, mean over layers"), f"act.sat.{f}")
    last = {name: t.recorder.records[-1] for name, t in trainers.items()}
    st.dataframe({"activation": list(last), "validation accuracy": [np.round(r.val_acc, 3) for r in last.values()],
                  "validation loss": [np.round(r.val_loss, 4) for r in last.values()]}, hide_index=True)


comparison.play(run, draw)
predict.reveal(guess, run)

page.section(PAGE, "Pros, cons and where each is used")
page.footer(PAGE)
