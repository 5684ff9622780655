"""Convolutional networks: a CNN and an MLP on the same digits, tested on shifted digits; equivariance,
filters, feature maps, receptive fields and weight sharing of the network just trained."""

import numpy as np
import streamlit as st

from dlcore.labs import cnn as lab
from ui import charts, live, page, predict
from ui.charts import cnn as cc
from ui.controls import checked
from ui.runtime import device

PAGE = "cnn"
HEADS = {"gap": "global average pool", "flatten": "flatten (a weight per position)",
         "pool": "2×2 max pool (stride 2), then flatten"}
c = page.begin(PAGE)

# --- Controls -----------------------------------------------------------------------------------
st.subheader("A CNN and an MLP on the same digits")
st.caption(f"Each 8×8 digit sits in the middle of a blank {lab.CANVAS}×{lab.CANVAS} canvas, so a shift of up to "
           f"{lab.MARGIN} pixels loses no ink. Both networks see the same digits, seed and mini-batches; the MLP "
           "(one hidden layer of 64 units) reads the canvas as one long vector.")
cols = st.columns(4)
with cols[0]:
    head = c.select("head", "CNN head", list(HEADS), default="gap", format_func=HEADS.get)
    kernel = c.select_slider("k", "Kernel size k", [1, 3, 5], default=3)
    channels = c.select_slider("ch", "Filters in layer 1 (×2 per layer)", [2, 4, 8], default=8)
with cols[1]:
    depth = c.slider("depth", "Convolutional layers", 1, 3, default=2, step=1)
    padding = c.select("pad", "Padding", ["same", "valid"], default="same",
                       format_func={"same": "same (k // 2 zeros)", "valid": "valid (none)"}.get)
    stride = c.slider("stride", "Stride", 1, 2, default=1, step=1)
with cols[2]:
    bias = c.toggle("bias", "Bias in the conv layers", default=False,
                    help="With a bias, an empty region no longer gives 0 but the padding still does.")
    augment = c.toggle("aug", "Shift augmentation", default=False,
                       help="Adds two copies of every training digit, each moved by up to 2 pixels.")
    n_train = c.select_slider("n", "Training digits", [100, 250, 500, 1000, lab.MAX_TRAIN], default=500)
with cols[3]:
    lr = c.select_slider("lr", "Learning rate (Adam)", [0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0], default=0.03)
    steps = c.select_slider("steps", "Steps", [100, 200, 300, 400], default=300)
    seed = c.number("seed", "Seed", 0, 9999, default=0)
look = st.columns(2)
with look[0]:
    digit = c.number("digit", "Validation digit to look inside", 0, lab.N_VAL - 1, default=0)
with look[1]:
    moved = c.slider("shift", "Shift for the equivariance check (pixels →)", 1, lab.MARGIN, default=1, step=1)
guess = predict.ask(c, predict.Question.which(
    "Which network will be more accurate on validation digits shifted by 2 pixels?", choices=("CNN", "MLP"),
    measure=lambda run: {n: lab.shift_accuracy(t)[2] for n, t in run.trainers.items()},
    label="validation accuracy, digits shifted 2 px"))
c.publish()

exp = checked(lambda: lab.experiment(channels=channels, depth=depth, kernel=kernel, padding=padding, stride=stride,
                                     head=head, bias=bias, n_train=n_train, augment=augment, lr=lr, steps=steps,
                                     seed=seed))
# Shared: a finished run belongs to its settings (all of them are in the hash), and everything below only
# reads the frozen networks (``lab`` looks inside them without moving or switching them).
run = live.session(f"{c.page}.run", exp.config_hash(), lambda: exp.trainers(device()), shared=True)
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    for pair in (((charts.loss_curves(trainers), "loss"), (charts.loss_curves(trainers, metric="acc"), "acc")),
                 ((cc.layer_lines(trainers, "grad_norm", "Gradient norm ‖∂L/∂W‖ per layer", "‖∂L/∂W‖", log_y=True),
                   "grad"),
                  (cc.layer_lines(trainers, "act.std", "Activation std per layer (after ReLU)", "std"), "act"))):
        for column, (fig, name) in zip(st.columns(2), pair):
            with column:
                charts.show(fig, f"cnn.{name}.{f}")


live.play(run, draw)
# The shifted-digit test, on the networks as they stand (trained, or paused): measured once per step
# and shared (``shift_accuracy``), not at every frame — 4,851 images through each network.
acc, params = {n: lab.shift_accuracy(t) for n, t in run.trainers.items()}, lab.parameters(run.trainers)
left, right = st.columns(2)
with left:
    charts.show(cc.shift_accuracy(acc), "cnn.shifted")
with right:
    st.markdown(f"**The test.** Every one of the {lab.N_VAL} validation digits moved by 0, 1 and 2 pixels, left, "
                "right, up and down; each network classifies all of them. Accuracy at each shift:")
    st.dataframe({"network": list(run.trainers), "weights": [f"{params[n]:,}" for n in run.trainers],
                  **{f"{s} px": [round(acc[n][s], 3) for n in run.trainers] for s in lab.SHIFTS}},
                 hide_index=True)
predict.reveal(guess, run)
cnn = run.trainers["CNN"]
x_val = cnn.dataset.x_val.cpu()
image = x_val[digit]  # (1, 14, 14)

if cnn.diverged:
    st.info("The CNN diverged, so its weights are no longer numbers: there is nothing to look inside. "
            "Lower the learning rate.")
else:
    # --- Equivariance vs invariance -----------------------------------------------------------------
    page.section(PAGE, "Equivariance and invariance, measured")
    eq = lab.equivariance(cnn.model, image, moved)
    if eq is None:
        st.info("With stride 2 a shift of one pixel has no counterpart on the coarser output grid: the layers are "
                "equivariant only to shifts by multiples of the stride. Set the stride to 1 to measure it.")
    else:
        channel = int(np.argmax(np.abs(eq.of_shifted).sum(axis=(1, 2))))  # the most active map
        charts.show(cc.equivariance_panels(image[0].numpy(), eq, channel), "cnn.equivariance")
        border = "none" if np.isnan(eq.border_error) else f"{eq.border_error:.1e}"
        inner = "none: the receptive field is too wide" if np.isnan(eq.interior_error) else f"{eq.interior_error:.1e}"
        st.caption(f"‖conv(shift x) − shift(conv x)‖ / ‖conv(shift x)‖ — interior ({int(eq.interior.sum())} "
                   f"positions whose receptive field meets neither the padding nor the filled-in strip): "
                   f"**{inner}**; other positions: **{border}**; the same layers with circular "
                   f"padding under a circular shift (torch.roll), everywhere: **{eq.circular_error:.1e}**.")
    inv = {name: lab.invariance(t.model, x_val) for name, t in run.trainers.items()}
    st.dataframe({"what the classifier reads": [f"CNN: {HEADS[head]}", "MLP: first hidden layer"],
                  **{f"relative change, {s} px shift": [f"{inv[n][s]:.2g}" for n in ("CNN", "MLP")] for s in (1, 2)}},
                 hide_index=True)

    # --- What the network learned -------------------------------------------------------------------
    page.section(PAGE, "What the network learned")
    filters = lab.first_filters(cnn.model)
    titles = [f"filter {i + 1}" for i in range(len(filters))]
    charts.show(cc.image_grid(list(filters), titles, f"First-layer filters ({kernel}×{kernel}; red > 0, blue < 0)",
                              diverging=True), "cnn.filters")
    charts.show(cc.feature_maps(lab.feature_maps(cnn.model, image)), "cnn.maps")
    charts.show(cc.receptive_fields(lab.receptive_field_maps(cnn.model), exp.cnn.receptive_fields()), "cnn.rf")

    # --- Weight sharing and sizes -------------------------------------------------------------------
    page.section(PAGE, "Weight sharing and the output-size formula")
    rows = lab.layer_sizes(cnn.model)
    st.dataframe({"layer": [r.name for r in rows], "input side n": [r.input_side for r in rows],
                  "output ⌊(n+2p−k)/s⌋+1": [r.output_formula for r in rows],
                  "output, measured": [r.output_measured for r in rows],
                  "receptive field": [f"{r.receptive_field}×{r.receptive_field}" for r in rows],
                  "conv weights": [f"{r.conv_params:,}" for r in rows],
                  "dense layer, same in → out": [f"{r.dense_params:,}" for r in rows],
                  "dense / conv": [f"{r.dense_params / r.conv_params:,.0f}×" for r in rows]}, hide_index=True)
page.footer(PAGE)
