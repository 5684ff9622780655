"""Optimizers: real torch.optim optimizers on 2-D loss surfaces and on the digits, learning-rate
schedules, and what Adam keeps inside (m, v, bias correction, per-weight step sizes)."""

from dataclasses import replace

import streamlit as st

from dlcore.config import SCHEDULE_NAMES
from dlcore.experiments import Comparison
from dlcore.labs import optimizers as opt
from dlcore.labs.optimizers import OPTIMIZER_LRS, OPTIMIZERS
from ui import charts, comparison, live, page, predict
from ui.charts import optimizers as ocharts
from ui.controls import checked

PAGE, NAMES = "optimizers", list(opt.LABELS)
LRS = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.18, 0.2, 0.22,
       0.3, 0.5, 1.0, 3.0, 10.0]
label = opt.LABELS.get


@st.cache_data(max_entries=64)
def race(surface: str, lrs: dict, start: tuple, steps: int, wd: float) -> dict:
    return opt.race(surface, lrs, start, steps, weight_decay=wd)


@st.cache_resource(max_entries=64, show_spinner=False)
def surface_figure(surface: str, lrs: tuple, start: tuple, steps: int, wd: float, projector: bool):
    """The surface and every path with its animation frames, built once per setting (115 ms) and
    shared by every session: Streamlit only reads a figure to send it. ``projector`` sizes its text."""
    paths = race(surface, dict(lrs), start, steps, wd)
    return ocharts.surface_paths(opt.SURFACES[surface], opt.grid(opt.SURFACES[surface], 240),
                                 {label(k): t for k, t in paths.items()})


c = page.begin(PAGE)
top = st.columns([2, 1])
with top[0]:
    chosen = c.multiselect("opts", "Optimizers to compare", NAMES, default=NAMES, format_func=label)
with top[1]:
    wd = c.select_slider("wd", "Weight decay λ", [0.0, 0.001, 0.01, 0.1, 0.3, 1.0], default=0.0,
                         help="Adam adds λ·θ to the gradient (L2); AdamW shrinks the weights directly.")
if not chosen:
    c.publish()
    st.info("Pick at least one optimizer above.")
    st.stop()

# --- Paths on a 2-D loss surface ------------------------------------------------------------
st.subheader("Paths on a 2-D loss surface")
st.caption("Each path is a real `torch.optim` optimizer stepping a 2-element tensor θ = (x, y). "
           "Press ▶ under the plot to watch them move step by step; drag the slider to step through.")
cols = st.columns(4)
with cols[0]:
    name = c.select("surface", "Surface", list(opt.SURFACES), default="quadratic",
                    format_func=lambda n: opt.SURFACES[n].label)
surface = opt.SURFACES[name]
with cols[1]:
    x0 = c.slider(f"{name}_x0", "Start x₀", *surface.x_range, default=surface.start[0], step=0.05)
with cols[2]:
    y0 = c.slider(f"{name}_y0", "Start y₀", *surface.y_range, default=surface.start[1], step=0.05)
with cols[3]:
    steps = c.select_slider(f"{name}_steps", "Steps", [25, 50, 100, 200, 300, 500], default=surface.steps)
lrs = {}
for col, o in zip(st.columns(len(chosen)), chosen):
    with col:
        lrs[o] = c.select_slider(f"{name}_{o}", f"η {label(o)}", LRS, default=surface.lrs[o])

paths = checked(lambda: race(name, lrs, (x0, y0), steps, wd))
charts.show(surface_figure(name, tuple(lrs.items()), (x0, y0), steps, wd, charts.projector()), "opt.fig.surface")
diverged = [f"**{label(k)}** {t.message}" for k, t in paths.items() if t.diverged]
if diverged:
    st.warning("  \n".join(diverged) + "  \nIts path stops where it left the plot.", icon="💥")
reach = {label(k): opt.steps_to_reach(t, surface.f_min + 0.01) for k, t in paths.items()}
st.dataframe(ocharts.trajectory_table({label(k): t for k, t in paths.items()},
                                      {label(k): v for k, v in lrs.items()}, surface.f_min, reach),
             hide_index=True)
page.section(PAGE, "The update rules", expanded=False)

# --- Inside Adam ----------------------------------------------------------------------------
st.subheader("Inside Adam: moments and bias correction")
adam_lr = lrs.get("adam", surface.lrs["adam"])
st.caption(f"`torch.optim.Adam` (η = {adam_lr:g}, β₁ = 0.9, β₂ = 0.999) from the same start on the same surface; "
           "m and v are read from `optimizer.state[θ]` after each of the first 30 steps.")
trace = checked(lambda: opt.adam_trace(name, adam_lr, x0, y0, steps=30))
charts.show(ocharts.adam_moments(trace, coord=0), "opt.fig.moments")
left, right = st.columns(2)
with left:
    charts.show(ocharts.adam_step_sizes(trace), "opt.fig.adam_steps")
with right:
    page.section(PAGE, "Why bias correction")
    st.markdown(f"Here: uncorrected first step = **{abs(trace.uncorrected[0, 0]) / adam_lr:.3f} η**, "
                f"corrected = **{abs(trace.delta[0, 0]) / adam_lr:.3f} η** "
                f"(formula: (1 − β₁)/√(1 − β₂) = {opt.uncorrected_first_step_factor():.3f}).")

# --- The same optimizers on a real task -----------------------------------------------------
st.subheader("The same optimizers training a network on the digits")
st.caption("8×8 handwritten digits (1,797 images, 10 classes), an MLP with 2 hidden layers of 64 ReLUs. Same "
           "initial weights, same mini-batches: only the optimizer and its learning rate differ.")
digit_lrs = {}
for col, o in zip(st.columns(len(chosen)), chosen):
    with col:
        digit_lrs[o] = c.select_slider(f"d_{o}", f"η {label(o)}", LRS, default=OPTIMIZER_LRS[o])
cols = st.columns(3)
with cols[0]:
    schedule = c.select("schedule", "Learning-rate schedule", SCHEDULE_NAMES, default="constant",
                        format_func=opt.SCHEDULE_LABELS.get)
with cols[1]:
    n_steps = c.select_slider("steps", "Training steps", [100, 200, 300, 500, 1000], default=OPTIMIZERS.train.steps)
with cols[2]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)


def final_losses(run: live.LiveRun) -> dict[str, float]:
    """Each optimizer's training loss at the last step; one that blew up has none and cannot be lowest."""
    return {k: t.recorder.records[-1].train_loss for k, t in run.trainers.items() if not t.diverged}


def lowest(run: live.LiveRun) -> str | None:
    """The optimizer with the lowest final loss; None (no verdict) when the best two are exactly tied, as Adam and
    AdamW are without weight decay."""
    ranked = sorted(final_losses(run).items(), key=lambda item: item[1])
    return None if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]) else ranked[0][0]


names = tuple(label(o) for o in chosen)
guess = predict.ask(c, predict.Question(
    "Which optimizer will end with the lowest training loss on the digits?", names,
    answer=lowest, evidence=final_losses,
    label="training loss at the last step, optimizers that did not diverge", digits=3,
    may_diverge=names)) if len(chosen) > 1 else predict.Guess(None)
c.publish()

base = OPTIMIZERS
run = comparison.start(c, lambda: Comparison(
    replace(base.data, seed=seed), base.model, replace(base.train, steps=n_steps, schedule=schedule, seed=seed),
    opt.variants(digit_lrs, wd),
))
predict.hold(guess, run)
curves = {opt.SCHEDULE_LABELS[s]: opt.schedule_curve(s, n_steps) for s in SCHEDULE_NAMES}


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    left, right = st.columns(2)
    with left:
        charts.show(ocharts.legend_below(charts.loss_curves(trainers)), f"opt.fig.loss.{f}")
    with right:
        charts.show(ocharts.legend_below(charts.loss_curves(trainers, "acc")), f"opt.fig.acc.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(ocharts.schedules(curves, opt.SCHEDULE_LABELS[schedule], run.step), f"opt.fig.schedule.{f}")
    with right:
        adams = {k: t for k, t in trainers.items() if k in ("Adam", "AdamW") and t.step > 0}
        if adams:
            hists = {k: opt.log_histogram(opt.adam_effective_steps(t.optimizer)) for k, t in adams.items()}
            colors = {k: charts.color(i) for i, k in enumerate(trainers)}
            now = {k: opt.current_lr(t.optimizer) for k, t in adams.items()}
            charts.show(ocharts.step_histograms(hists, now, colors), f"opt.fig.hist.{f}")
        else:
            st.info("Train Adam or AdamW (step ▶) to see its per-weight step sizes.")
    last = {k: t.recorder.records[-1] for k, t in trainers.items()}
    st.dataframe({"optimizer": list(last), "η": [f"{digit_lrs[o]:g}" for o in chosen],
                  "train loss": [round(r.train_loss, 4) for r in last.values()],
                  "validation accuracy": [round(r.val_acc, 3) for r in last.values()]}, hide_index=True)


comparison.play(run, draw)
predict.reveal(guess, run)

page.section(PAGE, "Which optimizer, when")
page.footer(PAGE)
