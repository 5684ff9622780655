"""Data augmentation: few digits, an over-fitting network, and each augmentation trained side by side."""

from dataclasses import replace

import streamlit as st

from dlcore.labs import augmentation as aug
from ui import charts, live, page, predict
from ui.charts import augmentation as ac
from ui.controls import checked
from ui.runtime import device

PAGE, BASELINE = "augmentation", aug.LABELS["none"]
c = page.begin(PAGE)

# --- The same network trained with each augmentation ---------------------------------------------
st.subheader("Train the same network with each augmentation")
st.caption("A 2-hidden-layer ReLU network on few 8×8 digits (500 others for validation). Same images, initial "
           "weights and mini-batches for every run; only how each batch is transformed before the forward pass "
           "differs. The curves are measured on the clean images.")
chosen = c.multiselect("aug", "Augmentations", list(aug.AUGMENTATIONS), default=list(aug.DEFAULT_CHOICES),
                       max_selections=5, format_func=aug.LABELS.get)
cols = st.columns(4)
with cols[0]:
    n_train = c.select_slider("n", "Training images", [50, 100, 200, 400], default=aug.AugmentConfig.n_train)
    width = c.select_slider("width", "Units per layer", [32, 64, 128, 256], default=aug.AugmentConfig.width)
with cols[1]:
    eps = c.select_slider("eps", "Label smoothing ε", [0.02, 0.05, 0.1, 0.2, 0.3], default=aug.AugmentConfig.smoothing)
    steps = c.select_slider("steps", "Steps", [100, 200, 300, 400], default=aug.TRAIN.steps)
with cols[2]:
    lr = c.select_slider("lr", "Learning rate (Adam)", [0.0003, 0.001, 0.003, 0.01, 0.03, 1.0, 10.0],
                         default=aug.TRAIN.lr)
with cols[3]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
labels = [aug.LABELS[a] for a in aug.AUGMENTATIONS if a in chosen]
guess = predict.ask(c, predict.Question.which(
    "Which run will be the most accurate on validation digits shifted by one pixel?", choices=labels,
    measure=lambda run: {n: aug.shifted_accuracy(t) for n, t in run.trainers.items()},
    label="validation accuracy, shifted 1 px") if len(labels) > 1 else None)
c.publish()
if not chosen:
    st.info("Pick at least one augmentation above to train.")
    st.stop()

choices = [a for a in aug.AUGMENTATIONS if a in chosen]
base = checked(lambda: aug.AugmentConfig(n_train=n_train, width=width, smoothing=eps, seed=seed))
train = checked(lambda: replace(aug.TRAIN, lr=lr, steps=steps, seed=seed))
# Shared: a finished run belongs to its settings (all in the hash), and everything below only reads it
# (``predict`` in eval mode, the recorded curves, the last augmented batch).
run = live.session("aug.run", aug.config_hash(choices, base, train),
                   lambda: aug.experiment(choices, base, train, device()), shared=True)
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    charts.show(ac.batch_grid({name: aug.last_batch_images(t) for name, t in trainers.items()}), f"aug.grid.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(charts.run_curves(trainers), f"aug.loss.{f}")
    with right:
        charts.show(charts.run_curves(trainers, metric="acc"), f"aug.acc.{f}")
    table = {name: aug.robustness(t) for name, t in trainers.items()}
    left, right = st.columns(2)
    with left:
        charts.show(ac.robustness_heatmap(table), f"aug.robust.{f}")
    with right:
        if BASELINE in table and len(table) > 1:
            charts.show(ac.gain_bars(table, BASELINE), f"aug.gain.{f}")
        else:
            st.info(f"Add “{BASELINE}” and another run to see the gain of each augmentation over none.")


live.play(run, draw)
predict.reveal(guess, run)

# --- Label smoothing and calibration --------------------------------------------------------------
page.section(PAGE, "Label smoothing and calibration")
cals = {name: aug.validation_calibration(t) for name, t in run.trainers.items()}
charts.show(ac.reliability(cals), "aug.reliability")
st.dataframe({"run": list(cals),
              "validation accuracy": [round(aug.robustness(t)["clean"], 3) for t in run.trainers.values()],
              "mean max-probability": [round(cal.mean_confidence, 3) for cal in cals.values()],
              "ECE": [round(cal.ece, 3) for cal in cals.values()]}, hide_index=True)

page.section(PAGE, "Text and audio augmentation")
page.footer(PAGE)
