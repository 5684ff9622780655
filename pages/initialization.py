"""Weight initialization: what the first draw of the weights does to the signal, forwards and
backwards, and how each scheme then trains — same network, same seed, same mini-batches."""

from dataclasses import replace

import numpy as np
import streamlit as st

from dlcore.experiments import Comparison
from dlcore.labs import initialization as init_lab
from dlcore.labs.initialization import INIT_SCHEMES, INITIALIZATION
from dlcore.layers import activations as act
from ui import charts, comparison, live, page, predict
from ui.charts import initialization as ic
from ui.controls import checked

PAGE, base = "initialization", INITIALIZATION
SHOWN_UNITS = 32  # the symmetry heatmaps draw at most this many units and inputs
c = page.begin(PAGE)
label = init_lab.LABELS.get

schemes = c.multiselect("schemes", "Initialization schemes", init_lab.SCHEMES, default=INIT_SCHEMES,
                        format_func=label)
cols = st.columns(4)
with cols[0]:
    activation = c.select("act", "Activation", ["relu", "leaky_relu", "tanh", "sigmoid", "gelu"],
                          default=base.model.activation, format_func=act.LABELS.get)
    depth = c.slider("depth", "Hidden layers", 2, 20, default=base.model.depth, step=1)
with cols[1]:
    width = c.select_slider("width", "Units per layer", [16, 32, 64, 128, 256], default=base.model.width)
    seed = c.number("seed", "Seed", 0, 9999, default=0)
with cols[2]:
    lr = c.select_slider("lr", "Learning rate (SGD + momentum)",
                         [0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.3, 1.0, 3.0, 10.0], default=base.train.lr)
with cols[3]:
    steps = c.select_slider("steps", "Training steps", [50, 100, 150, 200, 300], default=base.train.steps)


def final_losses(run: live.LiveRun) -> dict[str, float]:
    """Each scheme's validation loss at the last step; a scheme that blew up has none and cannot be lowest."""
    return {n: t.recorder.records[-1].val_loss for n, t in run.trainers.items() if not t.diverged}


names = [label(s) for s in schemes]
guess = predict.ask(c, predict.Question(
    "Which scheme will end with the lowest validation loss?", tuple(names),
    answer=lambda run: min(final_losses(run), key=final_losses(run).get, default=None), evidence=final_losses,
    label="validation loss at the last step, schemes that did not diverge", digits=4,
    may_diverge=tuple(names))) if len(schemes) > 1 else predict.Guess(None)
c.publish()
if not schemes:
    st.info("Pick at least one initialization scheme above.")
    st.stop()
data_cfg = replace(base.data, seed=seed)
model_cfg = checked(lambda: replace(base.model, activation=activation, depth=depth, width=width))


@st.cache_data(max_entries=32, show_spinner=False)
def signal_profiles(data_cfg, model_cfg, schemes: tuple[str, ...], seed: int) -> dict:
    return init_lab.compare_schemes(data_cfg, model_cfg, schemes, seed)


# --- At initialization: forward and backward signal --------------------------------------------
st.subheader("Before any training: the signal through the layers")
st.caption(f"One batch of {init_lab.PROBE_EXAMPLES} digit images (64 pixels) through the untrained network, "
           "forwards (each layer's output) and backwards (the gradient of the loss for each weight matrix).")
profiles = signal_profiles(data_cfg, model_cfg, tuple(schemes), seed)
left, right = st.columns(2)
with left:
    charts.show(ic.forward_signal(profiles), "init.forward")
with right:
    charts.show(ic.backward_signal(profiles), "init.backward")
if "zeros" in profiles:
    st.caption("Zeros: the log axis cannot draw a value of exactly 0, so the points where the zero-initialised "
               "network's activations or gradients are 0 are missing from the lines.")
charts.show(ic.histograms_by_layer(profiles), "init.hist")
page.section(PAGE, "The formulas")
draws = [init_lab.weight_draw(s, width, width, seed) for s in init_lab.RANDOM_SCHEMES]
st.dataframe({
    "scheme": [label(d.scheme) for d in draws],
    "Var(W) by the formula": [f"{d.target_var:.4g}" for d in draws],
    f"measured on a {width}×{width} draw": [f"{d.empirical_var:.4g}" for d in draws],
    "uniform bound a": ["" if np.isnan(d.bound) else f"{d.bound:.4f}" for d in draws],
    "largest |w| drawn": [f"{d.max_abs:.4f}" for d in draws],
}, hide_index=True)

# --- Then train: same seed, same mini-batches ---------------------------------------------------
st.subheader("Then train each scheme: same seed, same mini-batches")
st.caption("Plain SGD with momentum 0.9 on the digits: an adaptive optimizer such as Adam rescales every "
           "gradient and would hide part of what the initialization does.")
checked(lambda: init_lab.check_training_work(model_cfg, steps, len(schemes)))
run = comparison.start(c, lambda: Comparison.over(
    data_cfg, model_cfg, replace(base.train, lr=lr, steps=steps, seed=seed),
    "model.init", schemes, [label(s) for s in schemes],
))
predict.hold(guess, run)


def symmetry(trainers: dict, f: int) -> None:
    """The last hidden layer of the zero-initialised network next to a randomly initialised one."""
    zero = label("zeros")
    other = next((n for n, t in reversed(trainers.items()) if n != zero and not t.diverged), None)
    if zero not in trainers or other is None:
        st.info("Select *zeros* and one random scheme to compare their hidden units here.")
        return
    weights = {n: trainers[n].model.blocks[-1].linear.weight.detach().cpu() for n in (zero, other)}
    spreads = {n: init_lab.unit_spread(w) for n, w in weights.items()}
    shown = {n: w[:SHOWN_UNITS, :SHOWN_UNITS].numpy() for n, w in weights.items()}
    charts.show(ic.weight_heatmaps(shown, spreads, depth), f"init.sym.{f}")
    st.caption(f"At most {SHOWN_UNITS} units × {SHOWN_UNITS} inputs are drawn; the difference in each title "
               "is measured over the whole matrix.")


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    charts.show(ic.loss_by_scheme(trainers), f"init.loss.{f}")
    charts.show(charts.layer_series(trainers, "grad_norm", "Gradient norm during training",
                                    "‖∂L/∂W‖, mean over layers", log_y=True), f"init.grad.{f}")
    st.markdown("**The symmetry problem:** every hidden unit of a zero-initialised layer stays identical.")
    symmetry(trainers, f)
    last = {name: t.recorder.records[-1] for name, t in trainers.items()}
    st.dataframe({"scheme": list(last), "validation accuracy": [np.round(r.val_acc, 3) for r in last.values()],
                  "validation loss": [f"{r.val_loss:.4g}" for r in last.values()]}, hide_index=True)


comparison.play(run, draw)
predict.reveal(guess, run)

page.footer(PAGE)
