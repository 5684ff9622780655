"""Loss functions: regression losses and outliers, classification losses and their gradients."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from dlcore import TrainConfig, stable_hash
from dlcore.labs import losses as L
from dlcore.layers.activations import softmax
from ui import charts, live, page, predict
from ui.controls import checked

PAGE = "losses"
c = page.begin(PAGE)

# --- Regression: what each loss charges for an error --------------------------------------------
st.subheader("Regression: MSE, MAE and Huber")
delta = c.select_slider("delta", "Huber δ", [0.25, 0.5, 1.0, 2.0, 4.0], default=1.0)
r = torch.linspace(-4, 4, 401)
curves = {L.LABELS[n]: L.curve_and_gradient(n, r, delta) for n in L.REGRESSION_LOSSES}
left, right = st.columns(2)
with left:
    charts.show(charts.lines({k: (r, v) for k, (v, _) in curves.items()}, "Loss of one residual r",
                             "residual r = prediction − target", "loss"), "loss.curves")
with right:
    charts.show(charts.lines({k: (r, g) for k, (_, g) in curves.items()}, "Its gradient ∂loss/∂r (autograd)",
                             "residual r", "gradient"), "loss.grads")

st.subheader("Outliers: fit a line with each loss")
cols = st.columns(4)
with cols[0]:
    outliers = c.slider("outliers", "Outliers", 0, 10, default=4, step=1)
with cols[1]:
    height = c.slider("height", "Outlier height", 0.0, 20.0, default=8.0, step=1.0)
with cols[2]:
    lr = c.select_slider("lr", "Learning rate (Adam)", [0.01, 0.03, 0.05, 0.1, 0.3, 1.0], default=0.05)
with cols[3]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
guess = predict.ask(c, predict.Question.which(
    "Which fitted line will the outliers pull furthest from the true slope?",
    measure=lambda run: {name: abs(fit.line[0] - data.slope) for name, fit in run.trainers.items()},
    choices=[L.LABELS[n] for n in L.REGRESSION_LOSSES], label="|fitted slope − true slope| after 300 steps",
    digits=2) if outliers else None)
c.publish()
data = checked(lambda: L.LineData(outliers=outliers, outlier_height=height, seed=seed))
train = checked(lambda: TrainConfig(optimizer="adam", lr=lr, steps=300, seed=seed))
# One run for everyone on the same link: the hash covers every input of the fits (the points: outliers,
# their height, the seed; Adam's rate and the seed; Huber's δ).
run = live.session("loss.run", stable_hash(data, train) + f"-delta={delta}",
                   lambda: {L.LABELS[n]: L.LineFit(data, n, train, delta) for n in L.REGRESSION_LOSSES}, shared=True)
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    first = next(iter(run.trainers.values()))
    x, y = first.x.numpy(), first.y.numpy()
    fig = go.Figure()
    fig.add_scatter(x=x, y=y, mode="markers", name="data", marker=dict(size=9, color="#555"))
    xs = np.array([0.0, 2.0], dtype=np.float32)
    fig.add_scatter(x=xs, y=data.slope * xs + data.intercept, mode="lines", name="true line",
                    line=dict(color="black", dash="dash", width=2))
    for i, (name, fit) in enumerate(run.trainers.items()):
        a, b = fit.line
        fig.add_scatter(x=xs, y=a * xs + b, mode="lines", name=f"{name}: slope {a:.2f}",
                        line=dict(color=charts.color(i), width=4))
    charts.show(charts.style(fig, f"Fitted lines after {run.step} steps (true slope {data.slope:g})", height=420)
                .update_xaxes(title="x").update_yaxes(title="y"), f"loss.fit.{run.frame}")


live.play(run, draw, step_size=20)
predict.reveal(guess, run)

# --- Classification ------------------------------------------------------------------------------
st.subheader("Classification: why cross-entropy, not MSE, on a sigmoid")
z = torch.linspace(-10, 10, 401)
grads = L.logit_gradients(z, y=1.0)
p_true = torch.linspace(0.01, 0.99, 197)
gammas = [0.0, 0.5, 1.0, 2.0, 5.0]
left, right = st.columns(2)
with left:
    charts.show(charts.lines({k: (z, v) for k, v in grads.items()}, "Gradient ∂loss/∂z for a true label y = 1",
                             "logit z (negative = confidently wrong)", "∂loss/∂z"), "loss.logit")
with right:
    charts.show(charts.lines({f"γ = {g:g}" + (" (cross-entropy)" if g == 0 else ""): (p_true, L.focal_loss(p_true, g))
                              for g in gammas}, "Focal loss −(1 − p)^γ·log p", "probability p of the true class",
                             "loss", log_y=True), "loss.focal")

st.subheader("Cross-entropy, entropy and KL divergence")
cols = st.columns(3)
smoothing = cols[0].select_slider("Label smoothing ε of the target", [0.0, 0.05, 0.1, 0.2, 0.5], value=0.0,
                                  key="loss.smooth")
sharp = cols[1].select_slider("Prediction: logit of the right class", [0.0, 1.0, 2.0, 4.0, 8.0], value=2.0,
                              key="loss.sharp")
target = torch.full((4,), smoothing / 4) + torch.tensor([1 - smoothing, 0.0, 0.0, 0.0])
q = softmax(torch.tensor([sharp, 0.0, 0.0, 0.0]))
h, ce, kl = L.entropy(target).item(), L.cross_entropy(target, q).item(), L.kl_divergence(target, q).item()
cols[2].markdown("target p = [" + ", ".join(f"{v:.3f}" for v in target.tolist()) + "]  \n"
                 "prediction q = [" + ", ".join(f"{v:.3f}" for v in q.tolist()) + "]")
m = st.columns(3)
m[0].metric("cross-entropy H(p, q)", f"{ce:.4f}")
m[1].metric("entropy H(p)", f"{h + 0.0:.4f}")  # + 0.0 turns −0.0 into 0.0
m[2].metric("KL(p ‖ q) = H(p, q) − H(p)", f"{kl:.4f}")

page.footer(PAGE)
