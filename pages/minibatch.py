"""Mini-batch training: gradient noise against batch size, and the same network trained with each."""

from dataclasses import replace

import numpy as np
import streamlit as st

from dlcore.config import DATASETS
from dlcore.experiments import Comparison
from dlcore.labs.minibatch import MINIBATCH, epochs, gradient_noise
from ui import charts, comparison, live, page, predict, upload
from ui.controls import checked

PAGE, SIZES = "minibatch", [1, 2, 4, 8, 16, 32, 64, 128, 256]
base = MINIBATCH


@st.cache_resource(max_entries=32, show_spinner=False)
def measured_noise(data, seed: int):
    """The gradient-noise measurement (270 gradients, 97 ms), once per data set and seed for every
    session: a frozen result that the page only reads."""
    noise = gradient_noise(data, base.model, tuple(SIZES), draws=30, seed=seed)
    for values in (noise.relative_error, noise.predicted, noise.cosine):
        values.flags.writeable = False  # shared between sessions
    return noise


c = page.begin(PAGE)

cols = st.columns(4)
with cols[0]:
    data_name = c.select("data", "Data set", [d for d in DATASETS if d != "digits"], default=base.data.name)
with cols[1]:
    lr = c.select_slider("lr", "Learning rate", [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0], default=base.train.lr)
with cols[2]:
    steps = c.select_slider("steps", "Steps", [100, 200, 300, 500, 1000], default=base.train.steps)
with cols[3]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
chosen = c.multiselect("sizes", "Batch sizes to train (full = the whole training set)",
                       [str(b) for b in SIZES] + ["full"], default=["4", "16", "64", "full"])
labels = ["full batch" if b == "full" else f"B = {b}" for b in chosen]


def final_losses(run: live.LiveRun) -> dict[str, float]:
    """Each run's validation loss at the last step; a run that blew up has none and cannot be lowest."""
    return {k: t.recorder.records[-1].val_loss for k, t in run.trainers.items() if not t.diverged}


def lowest(run: live.LiveRun) -> str | None:
    """The batch size with the lowest final validation loss (None, no verdict, on an exact tie)."""
    ranked = sorted(final_losses(run).items(), key=lambda item: item[1])
    return None if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]) else ranked[0][0]


guess = predict.ask(c, predict.Question(
    "At equal steps, which batch size will end with the lowest validation loss?", tuple(labels), answer=lowest,
    evidence=final_losses, label="validation loss at the last step, runs that did not diverge", digits=4,
    may_diverge=tuple(labels))) if len(chosen) > 1 else predict.Guess(None)
c.publish()
own = upload.own_data(c.page, sample=data_name, forms=("2d", "tabular"), seed=seed)

data = checked(lambda: replace(base.data, name=data_name, seed=seed))
sizes = [100_000 if b == "full" else int(b) for b in chosen]

# --- How noisy is a mini-batch gradient? ------------------------------------------------------
st.subheader("How noisy is a mini-batch gradient?")
noise = measured_noise(data, seed)
charts.show(charts.lines(
    {"measured: ‖g_B − g‖ / ‖g‖ (RMS of 30 batches)": (noise.batch_sizes, noise.relative_error),
     "predicted: σ / √B (× finite-set correction)": (noise.batch_sizes, noise.predicted)},
    "Relative error of the mini-batch gradient, at initialization", "batch size B (log)", "relative error (log)",
    log_y=True,
).update_xaxes(type="log"), "mb.noise")

# --- Train the same network with each batch size ----------------------------------------------
st.subheader("Same network, same steps, different batch sizes")
if own is not None:
    st.info(f"These runs train on your file instead of the {data_name} set (the gradient-noise chart above "
            f"still measures the {data_name} set).")
run = comparison.start(c, lambda: Comparison.over(
    data, base.model, replace(base.train, lr=lr, steps=steps, seed=seed), "train.batch_size", sizes, labels,
    upload=own,
), selected=chosen, empty="Pick at least one batch size above to train.")
predict.hold(guess, run)
per_epoch = st.toggle("Put epochs (passes over the data) on the x-axis instead of steps", key="mb.per_epoch")


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    charts.show(charts.loss_curves(trainers, per_epoch=per_epoch), f"mb.loss.{f}")
    charts.show(charts.lines({k: (np.arange(1, len(t.losses) + 1), t.losses) for k, t in trainers.items()},
                             "Loss of each step's own mini-batch: the noise you train on", "step",
                             "mini-batch loss (log)", log_y=True), f"mb.steploss.{f}")
    n = len(next(iter(trainers.values())).dataset.y_train)
    st.dataframe({
        "run": list(trainers),
        "examples per step": [min(t.train_cfg.batch_size, n) for t in trainers.values()],
        "epochs so far": [round(epochs(t.step, t.train_cfg.batch_size, n), 2) for t in trainers.values()],
        "validation loss": [round(t.recorder.records[-1].val_loss, 4) for t in trainers.values()],
        "validation accuracy": [round(t.recorder.records[-1].val_acc, 3) for t in trainers.values()],
    }, hide_index=True)


live.play(run, draw)
predict.reveal(guess, run)
page.footer(PAGE)
