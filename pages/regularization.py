"""Regularization: weight decay and early stopping on a network built to over-fit."""

from dataclasses import replace

import streamlit as st

from dlcore import stable_hash
from dlcore.experiments import Comparison
from dlcore.labs import regularization as reg
from dlcore.labs.regularization import REGULARIZATION, WEIGHT_DECAYS, early_stopping
from ui import charts, live, page, predict, upload
from ui.controls import checked
from ui.runtime import device

PAGE, DECAYS = "regularization", ["0", "0.01", "0.1", "0.3", "0.5", "1"]
base = REGULARIZATION
c = page.begin(PAGE)

st.subheader("Weight decay and early stopping on an over-fitting network")
st.caption("100 noisy training points, 2 × 256 units, AdamW: the same set-up as the Dropout page. Same data, "
           "seed, initial weights and mini-batches for every run; only the weight decay λ differs.")
chosen = c.multiselect("wd", "Weight decay λ (AdamW, decoupled)", DECAYS, default=[f"{w:g}" for w in WEIGHT_DECAYS],
                       max_selections=4)
cols = st.columns(4)
with cols[0]:
    noise = c.slider("noise", "Noise", 0.0, 1.0, default=base.data.noise, step=0.1)
with cols[1]:
    steps = c.select_slider("steps", "Steps", [100, 200, 300, 400, 1000, 2000], default=base.train.steps)
with cols[2]:
    patience = c.slider("patience", "Early-stopping patience (evaluations)", 1, 10, default=3, step=1,
                        help="Stop once the validation loss has not improved for this many evaluations in a row.")
with cols[3]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
random = c.toggle("random", "Random training labels (Zhang et al. 2017)", default=False,
                  help="Deal the training labels out at random: nothing is left to learn, only to memorise.")
decays = sorted(float(w) for w in chosen)
labels = [f"λ = {w:g}" for w in decays]
guess = predict.ask(c, predict.Question.which(
    "Which λ ends with the smallest generalization gap (validation − train loss)?", choices=labels, highest=False,
    measure=lambda run: {n: (r := t.recorder.records[-1]).val_loss - r.train_loss for n, t in run.trainers.items()},
    label="validation − train loss at the end") if len(labels) > 1 else None)
c.publish()
own = upload.own_data(c.page, sample=base.data.name, forms=("2d",), seed=seed)
if own is not None:
    st.info(f"These runs train on your file instead of the {base.data.name} set (the noise slider applies to the "
            "built-in set only" + ("; the random labels are dealt out from your file's labels)." if random else ")."))
if random:
    st.info("**Random labels.** Every training label was dealt out at random (the validation labels are "
            "true). Use 2,000 steps and λ = 0: the network still fits the training set — the training "
            "accuracy passes 95 % — while the validation accuracy stays near chance (50 %).", icon="🎲")

if not decays:
    st.info("Pick at least one weight decay above to train.")
    st.stop()
comp = checked(lambda: Comparison.over(
    replace(base.data, noise=noise, seed=seed), base.model, replace(base.train, steps=steps, seed=seed),
    "train.weight_decay", decays, labels, upload=own,
))
# Shared by everyone on the same link: the comparison's hash covers the data (noise, seed, an upload by its
# digest), the network, the steps and the decays; the random-labels flag is the one input outside it.
run = live.session(f"{c.page}.run", stable_hash(comp) + ("-random" if random else ""),
                   lambda: reg.trainers(comp, random, device()), shared=True)
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    fig = charts.loss_curves(trainers)
    rows = []
    for i, (name, t) in enumerate(trainers.items()):
        steps_, val = t.recorder.steps(), t.recorder.series("val_loss")
        stop = early_stopping(val, patience)
        fig.add_scatter(x=[steps_[stop.best]], y=[val[stop.best]], mode="markers", showlegend=i == 0,
                        name="checkpoint early stopping keeps", legendgroup="stop",
                        marker=dict(symbol="star", size=16, color=charts.color(i), line=dict(width=1, color="black")))
        rows.append((name, steps_[stop.best], val[stop.best], steps_[stop.stop] if stop.triggered else "—", val[-1]))
    charts.show(fig, f"reg.loss.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(charts.lines({k: (t.recorder.steps(), t.recorder.layer_series("weight_norm").sum(axis=1))
                                  for k, t in trainers.items()}, "Size of the weights: Σ ‖W‖ over layers", "step",
                                 "Σ ‖W‖"), f"reg.wnorm.{f}")
    with right:
        gaps = {k: (t.recorder.steps(), t.recorder.series("val_loss") - t.recorder.series("train_loss"))
                for k, t in trainers.items()}
        charts.show(charts.lines(gaps, "Generalization gap: validation − train loss", "step", "loss gap"),
                    f"reg.gap.{f}")
    accs = {k: t.recorder.records[-1] for k, t in trainers.items()}
    st.dataframe({"run": [r[0] for r in rows], "best step": [int(r[1]) for r in rows],
                  "best validation loss": [round(float(r[2]), 3) for r in rows],
                  f"stops at (patience {patience})": [str(r[3]) for r in rows],
                  "validation loss at the end": [round(float(r[4]), 3) for r in rows],
                  "train accuracy": [round(a.train_acc, 3) for a in accs.values()],
                  "validation accuracy": [round(a.val_acc, 3) for a in accs.values()]}, hide_index=True)


live.play(run, draw)
predict.reveal(guess, run)
page.footer(PAGE)
