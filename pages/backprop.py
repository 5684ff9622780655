"""Backpropagation: the chain rule, node by node, on a tiny network; checked three ways; trained."""

import html
import math
from dataclasses import replace

import numpy as np
import streamlit as st

from dlcore import stable_hash
from dlcore.labs import backprop as bp
from dlcore.labs.backprop import BACKPROP_NET as base
from dlcore.labs.backprop import BACKPROP_TRAIN as base_train
from ui import charts, live, page, predict, upload
from ui.charts import backprop as backprop_charts
from ui.controls import checked

PAGE = "backprop"
ACTIVATION_LABELS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU"}
LOSS_LABELS = {"mse": "MSE (o − y)²", "bce": "Binary cross-entropy on σ(o)"}
c = page.begin(PAGE)

# --- Controls ----------------------------------------------------------------------------------
st.subheader("The network and one example")
cols = st.columns(4)
with cols[0]:
    x1 = c.slider("x1", "input x₁", -2.0, 2.0, default=base.x1, step=0.1)
    x2 = c.slider("x2", "input x₂", -2.0, 2.0, default=base.x2, step=0.1)
with cols[1]:
    target = c.slider("y", "target y", 0.0, 1.0, default=base.target, step=0.1)
    seed = c.number("seed", "Seed (initial weights)", 0, 9999, default=base.seed)
with cols[2]:
    activation = c.select("act", "Hidden activation f", list(ACTIVATION_LABELS), default=base.activation,
                          format_func=ACTIVATION_LABELS.get)
    loss = c.select("loss", "Loss", list(LOSS_LABELS), default=base.loss, format_func=LOSS_LABELS.get)
with cols[3]:
    hidden = c.select_slider("hidden", "Hidden units", [1, 2, 3], default=base.hidden)
    lr = c.select_slider("lr", "Learning rate (training)", [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
                         default=base_train.lr)
    steps = c.select_slider("steps", "Training steps", [100, 200, 400, 800], default=base_train.steps)
own = upload.own_data(c.page, sample="xor", forms=("2d",), parse=bp.parse_two_classes)
if own is not None:
    st.info("“Train it” below trains on your file instead of the XOR points (two classes: the network has one "
            "output); the walk-through keeps its one example x₁, x₂, y.")
task = "solve XOR" if own is None else "separate the two classes of your file"
guess = predict.ask(c, predict.Question.how_much(
    f"Will the tiny network {task} by step {steps}, getting at least 90% of the training points right?",
    lambda run: run.trainers["tiny net"].train_accuracy(), name="training points right",
    bins={"no": 0.9, "yes": math.inf}, label="fraction of the training points on the right side", digits=2))
c.publish()

net = checked(lambda: bp.TinyNetConfig(x1=x1, x2=x2, target=target, hidden=hidden, activation=activation,
                                       loss=loss, seed=seed))
train = checked(lambda: replace(base_train, lr=lr, steps=steps, seed=seed))
points = checked(lambda: bp.TrainingPoints(upload=own))

# --- Step through forward and backward ----------------------------------------------------------
st.subheader("Step through the forward and the backward pass")
walk = bp.walkthrough(net)
last = len(walk.visits) - 1
st.session_state["bp.pos"] = min(st.session_state.get("bp.pos", 0), last)


def _move(delta: int) -> None:
    st.session_state["bp.pos"] = max(0, min(last, st.session_state["bp.pos"] + delta))


nav = st.columns([1, 1, 6])
nav[0].button("◀ Prev", key="bp.prev", on_click=_move, args=(-1,), disabled=st.session_state["bp.pos"] == 0,
              width="stretch")
nav[1].button("Next ▶", key="bp.next", on_click=_move, args=(1,), disabled=st.session_state["bp.pos"] == last,
              width="stretch")
position = nav[2].slider("Position in the walk-through", 0, last, key="bp.pos", label_visibility="collapsed")
charts.show(backprop_charts.computational_graph(walk, position, net.target), f"bp.graph.{position}")
visit = walk.visits[position]
lines = [visit.equation] + ([f"whole path: {visit.chain}"] if visit.chain else [])
st.markdown("".join(f"<p style='font-size:1.3rem;font-family:monospace;margin:0.2rem 0'>{html.escape(t)}</p>"
                    for t in lines), unsafe_allow_html=True)
if visit.local:
    st.caption(f"local derivatives: {visit.local}")
page.section(PAGE, "Reading the graph", expanded=False)

# --- Gradients three ways -----------------------------------------------------------------------
st.subheader("The same gradients, three ways")
rows = bp.gradients_three_ways(net)
st.dataframe({
    "parameter": [r.name for r in rows],
    "value": [r.value for r in rows],
    "chain rule (by hand)": [r.chain_rule for r in rows],
    "PyTorch autograd": [r.autograd for r in rows],
    "finite differences": [r.finite_difference for r in rows],
    "|hand − autograd|": [abs(r.chain_rule - r.autograd) for r in rows],
    "|hand − finite diff.|": [abs(r.chain_rule - r.finite_difference) for r in rows],
}, hide_index=True, key="bp.table", column_config={
    name: st.column_config.NumberColumn(format="%.2e" if name.startswith("|") else "%.6f")
    for name in ("value", "chain rule (by hand)", "PyTorch autograd", "finite differences",
                 "|hand − autograd|", "|hand − finite diff.|")
})
with st.expander("The graph autograd recorded (walk `loss.grad_fn.next_functions`)"):
    st.code("\n".join("    " * depth + label for depth, label in bp.autograd_graph(net)), language=None)

# --- Train it -----------------------------------------------------------------------------------
st.subheader("Train it: gradient descent on XOR" if own is None else "Train it: gradient descent on your data")
learns = f"learns XOR from {bp.TRAIN_DATA.n_samples} noisy points"
if own is not None:
    split = points.dataset()
    learns = (f"learns your two classes from {len(split.y_train):,} of your file's points (the other "
              f"{len(split.y_val):,} held out), standardised to span [−1, 1] on each axis")
st.caption(f"The same network (seed {seed}, {hidden} hidden {ACTIVATION_LABELS[activation]} units, "
           f"{LOSS_LABELS[loss]}) {learns}: every step the scalar engine backpropagates the mean loss of the batch "
           f"and takes θ ← θ − {lr:g}·∂L/∂θ.")
# Training uses the network, its seed and the points, not the walk-through's one example: moving x₁, x₂
# or y keeps the run (and the one the class shares).
trained = replace(net, x1=base.x1, x2=base.x2, target=base.target)
run = live.session("bp.run", stable_hash(trained, train, points),
                   lambda: {"tiny net": bp.ScalarTrainer(trained, train, points)}, shared=True)
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    trainer, f = run.trainers["tiny net"], run.frame
    s = trainer.series()
    charts.show(backprop_charts.training_loss(s["steps"], s["loss"], "Training loss (log scale)"),
                f"bp.loss.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(backprop_charts.parameter_lines(s["steps"], np.abs(s["grads"]), trainer.names,
                                                    "Each parameter's gradient size |∂L/∂θ|", "|∂L/∂θ| (log scale)",
                                                    log_y=True), f"bp.grads.{f}")
    with right:
        charts.show(backprop_charts.parameter_lines(s["value_steps"], s["values"], trainer.names,
                                                    "Each parameter's value θ", "θ"), f"bp.values.{f}")
    if trainer.losses:
        st.caption(f"Loss {trainer.losses[0]:.3g} at step 1 → {trainer.losses[-1]:.3g} at step {trainer.step}; "
                   f"{trainer.train_accuracy():.0%} of the training points on the right side. A gap in the "
                   "gradient chart is an exact 0 (a switched-off ReLU unit).")


live.play(run, draw, step_size=20)
predict.reveal(guess, run)

page.section(PAGE, "Backprop in one table")
page.footer(PAGE)
