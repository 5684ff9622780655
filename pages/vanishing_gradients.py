"""Vanishing & exploding gradients: per-layer gradient norms of a deep network, live, and the remedies."""

from dataclasses import replace

import numpy as np
import streamlit as st

from dlcore.labs import vanishing_gradients as vg
from dlcore.labs.vanishing_gradients import VANISHING_GRADIENTS
from ui import charts, comparison, live, page, predict, upload
from ui.charts import vanishing_gradients as vgc
from ui.controls import checked

PAGE, base = "vanishing_gradients", VANISHING_GRADIENTS
ACTS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU"}
INITS = {"auto": "auto (Xavier; He for ReLU)", "xavier_normal": "Xavier normal", "he_normal": "He normal",
         "small_normal": "small N(0, 0.01²)", "large_normal": "large N(0, 1)"}
NORMS = {"none": "none", "batch": "BatchNorm", "layer": "LayerNorm"}
OPTS = {"sgd": "SGD", "momentum": "SGD + momentum", "adagrad": "Adagrad", "adam": "Adam"}
LRS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
DEFAULT = dict(act=base.model.activation, depth=base.model.depth, width=base.model.width, init=base.model.init,
               norm="none", residual=False, opt=base.train.optimizer, lr=base.train.lr, clip=False, clip_at=1.0)
EXPLODING = dict(DEFAULT, act=vg.EXPLODING_MODEL.activation, depth=vg.EXPLODING_MODEL.depth,
                 init=vg.EXPLODING_MODEL.init, opt=vg.EXPLODING_TRAIN.optimizer, lr=vg.EXPLODING_TRAIN.lr,
                 clip=True, clip_at=vg.EXPLODING_TRAIN.grad_clip)


SCALE_LINES = {"biases 0": False, "biases cancel the ½ mean": True}


@st.cache_data(max_entries=64)
def scaled(s: float, centred: bool, seed: int) -> np.ndarray:
    return vg.gradient_norms_at_scale(s, centred, seed=seed)


@st.cache_data(max_entries=16)
def sweep(centred: bool, seed: int) -> np.ndarray:
    return vg.scale_sweep(centred=centred, seed=seed)


def load(preset: dict) -> None:
    """Button callback: put a preset's values into the widgets before the page redraws."""
    for name, value in preset.items():
        st.session_state[f"vg.{name}"] = value


c = page.begin(PAGE)

# --- Controls -----------------------------------------------------------------------------------
st.subheader("A deep network, layer by layer")
presets = st.columns(2)
presets[0].button("💥 Exploding demo: large weights, with and without clipping", key="vg.explode",
                  on_click=load, args=(EXPLODING,), width="stretch")
presets[1].button("🌫️ Vanishing default: 10 sigmoid layers, plain SGD", key="vg.vanish",
                  on_click=load, args=(DEFAULT,), width="stretch")
cols = st.columns(4)
with cols[0]:
    activation = c.select("act", "Activation", list(ACTS), default=DEFAULT["act"], format_func=ACTS.get)
    depth = c.slider("depth", "Hidden layers", 2, 20, default=DEFAULT["depth"], step=1)
with cols[1]:
    init = c.select("init", "Initialization", list(INITS), default=DEFAULT["init"], format_func=INITS.get)
    width = c.select_slider("width", "Units per layer", [8, 16, 32, 64], default=DEFAULT["width"])
with cols[2]:
    norm = c.select("norm", "Normalization (before the activation)", list(NORMS), default="none",
                    format_func=NORMS.get)
    residual = c.toggle("residual", "Residual connections (h + block(h))", default=False)
with cols[3]:
    optimizer = c.select("opt", "Optimizer", list(OPTS), default=DEFAULT["opt"], format_func=OPTS.get)
    lr = c.select_slider("lr", "Learning rate", LRS, default=DEFAULT["lr"])
cols = st.columns(4)
with cols[0]:
    clip = c.toggle("clip", "Gradient clipping (by global norm)", default=False,
                    help="Also trains the same network without clipping, side by side.")
with cols[1]:
    clip_at = c.select_slider("clip_at", "Clip threshold c", [0.1, 0.5, 1.0, 5.0, 10.0], default=1.0,
                              disabled=not clip)
with cols[2]:
    steps = c.select_slider("steps", "Steps", [100, 200, 300, 500, 1000], default=base.train.steps)
with cols[3]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
every = base.train.record_every
if st.session_state.get("vg.at", 0) > steps:  # a shorter run: bring the step slider back into range
    st.session_state["vg.at"] = steps
at_step = c.slider("at", "Per-layer charts at step", 0, steps, default=steps, step=every,
                   help="The charts below the heatmap show this recorded step (or the latest one so far).")


def first_gradients(run: live.LiveRun) -> dict[str, float]:
    """‖∂L/∂W‖ of every layer at step 0 (the same weights and batch for every run of the comparison)."""
    return {layer.name: layer.grad_norm for layer in next(iter(run.trainers.values())).recorder.records[0].layers}


guess = predict.ask(c, predict.Question.which(
    "At which layer will the gradient be smallest at the start of training?", first_gradients, highest=False,
    choices=[f"layer {i + 1}" for i in range(depth)] + ["output"], label="‖∂L/∂W‖ at step 0", digits=2,
    may_diverge=("your network", "no clipping", f"clipped at {clip_at:g}")))
c.publish()
own = upload.own_data(c.page, sample=base.data.name, forms=("2d", "tabular"), seed=seed)
if own is not None:
    st.info(f"These runs train on your file instead of the {base.data.name} set (the weight-scale experiment "
            "further down keeps the built-in set).")

run = comparison.start(c, lambda: vg.with_and_without_clipping(
    replace(base.data, seed=seed),
    replace(base.model, depth=depth, width=width, activation=activation, init=init, norm=norm, residual=residual),
    replace(base.train, optimizer=optimizer, lr=lr, steps=steps, seed=seed, grad_clip=clip_at if clip else 0.0),
    upload=own,
))
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    maps = {name: vg.gradient_map(t.recorder) for name, t in trainers.items()}
    zrange = (min(float(m.log10_grad_norm.min()) for m in maps.values()),
              max(float(m.log10_grad_norm.max()) for m in maps.values()))
    for col, (name, gmap) in zip(st.columns(len(maps)), maps.items()):
        stopped = f"diverged at step {trainers[name].step}" if trainers[name].diverged else ""
        with col:
            charts.show(vgc.grad_heatmap(gmap, f"log₁₀ gradient norm per layer — {name}", every, steps, zrange,
                                         note=stopped), f"vg.heat.{name}.{f}")
    profiles = {name: vg.profile_at(t.recorder, at_step) for name, t in trainers.items()}
    gaps = [f"**{name}**: layer 1 gets 10^{-vg.gradient_gap(p.grad_norm):.1f} of layer {depth}'s gradient"
            for name, p in profiles.items()]
    st.caption("At the chosen step — " + "; ".join(gaps) + " (10^0 = no loss on the way back).")
    left, right = st.columns(2)
    with left:
        charts.show(vgc.layer_lines(profiles, "grad_norm", "Gradient norm ‖∂L/∂W‖ per layer", "‖∂L/∂W‖"),
                    f"vg.profile.{f}")
    with right:
        charts.show(vgc.update_ratios(profiles), f"vg.ratio.{f}")
        st.caption("A missing point: no update yet (step 0), or one too small to change a float32 weight at all.")
    left, right = st.columns(2)
    with left:
        charts.show(vgc.loss_curves(trainers), f"vg.loss.{f}")
    with right:
        norms = {name: (t.recorder.steps(), vg.global_grad_norm(t.recorder)) for name, t in trainers.items()}
        charts.show(vgc.global_norms(norms, clip_at if clip else None), f"vg.global.{f}")
    last = {name: t.recorder.records[-1] for name, t in trainers.items()}
    st.dataframe({"run": list(last), "status": [trainers[n].status for n in last],
                  "validation accuracy": [np.round(r.val_acc, 3) for r in last.values()]}, hide_index=True)




def draw_unless_asked(run: live.LiveRun) -> None:
    """The charts, except while the question waits: at step 0 they would show its answer."""
    if guess.waiting:
        st.caption("The charts appear once you have answered: at step 0 they would give the answer away.")
    else:
        draw(run)


comparison.play(run, draw_unless_asked)
predict.reveal(guess, run)

page.section(PAGE, "Why it happens: a product of depth factors")

# --- Can larger weights rescue sigmoid? ---------------------------------------------------------
st.subheader("Can larger weights rescue sigmoid?")
st.markdown(page.prose(PAGE)["Can larger weights rescue sigmoid?"])
cols = st.columns(2)
with cols[0]:
    scale = c.slider("s", "Weight scale s (hidden weights ~ N(0, s²/n_in))", 0.5, 20.0, default=4.0, step=0.5)
with cols[1]:
    centred = c.toggle("centre", "Biases cancel sigmoid's ½ mean (b = −½·W·1)", default=False)
c.publish()
norms = checked(lambda: scaled(scale, centred, seed))
here = {lab: vg.gradient_gap(scaled(scale, cen, seed)) for lab, cen in SCALE_LINES.items()}
left, right = st.columns(2)
with left:
    charts.show(vgc.scale_sweep(vg.SCALES, {lab: sweep(cen, seed) for lab, cen in SCALE_LINES.items()}, scale, here),
                "vg.scale.sweep")
with right:
    profile = vg.LayerProfile(0, tuple(f"layer {i + 1}" for i in range(len(norms) - 1)) + ("output",), norms,
                              np.full(len(norms), np.nan))
    charts.show(vgc.layer_lines({f"s = {scale:g}": profile}, "grad_norm", "Gradient norm per layer at initialization",
                                "‖∂L/∂W‖"), "vg.scale.layers")
st.caption(f"At s = {scale:g}{' with mean-cancelling biases' if centred else ''}: layer 1 gets "
           f"10^{-vg.gradient_gap(norms):.1f} of layer {vg.SCALE_MODEL.depth}'s gradient.")

page.section(PAGE, "Remedies, and what each one fixes")
page.footer(PAGE)
