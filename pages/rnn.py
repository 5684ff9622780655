"""Recurrent networks: RNN vs LSTM vs GRU on a long-range memory task, backpropagation through
time measured, the gates inside the cells, and exploding gradients caught or clipped."""

from dataclasses import replace

import streamlit as st

from dlcore.labs import rnn
from dlcore.labs.rnn import MEMORY, CellComparison
from dlcore.models.rnn import CELL_LABELS, CELLS
from ui import charts, comparison, live, page, predict
from ui.charts import rnn as rc

PAGE, base = "rnn", MEMORY
OPTS = {"adam": "Adam", "sgd": "SGD"}
LRS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
DEFAULT = dict(cells=list(CELLS), nonlin="tanh", scale=1.0, opt=base.train.optimizer, lr=base.train.lr, clip=False)
EXPLODING = dict(cells=["rnn"], nonlin=rnn.EXPLODING_MODEL.nonlinearity, scale=rnn.EXPLODING_MODEL.recurrent_scale,
                 opt=rnn.EXPLODING_TRAIN.optimizer, lr=rnn.EXPLODING_TRAIN.lr, clip=False)


def load(preset: dict) -> None:
    """Button callback: put a preset's values into the widgets before the page redraws."""
    for name, value in preset.items():
        st.session_state[f"rnn.{name}"] = value


c = page.begin(PAGE)

# --- Controls -----------------------------------------------------------------------------------
st.subheader("Remember the first symbol: RNN vs LSTM vs GRU")
st.caption("Each sequence starts with one of 4 symbols, then T distractors; after the last one the network must "
           "name the first. Same sequences, seed, initial-weight draw and mini-batches for every cell.")
presets = st.columns(2)
presets[0].button("💥 Exploding demo: ReLU RNN, recurrent weights ×3, plain SGD", key="rnn.explode",
                  on_click=load, args=(EXPLODING,), width="stretch")
presets[1].button("🧠 Memory default: the three cells, Adam", key="rnn.memory", on_click=load, args=(DEFAULT,),
                  width="stretch")
chosen = c.multiselect("cells", "Cells", list(CELLS), default=DEFAULT["cells"], format_func=CELL_LABELS.get)
cols = st.columns(4)
with cols[0]:
    T = c.slider("T", "Distractor steps T", 10, 80, default=base.task.distractors, step=5)
    hidden = c.select_slider("hidden", "Hidden units", [8, 16, 32, 64], default=base.model.hidden)
with cols[1]:
    forget_bias = c.slider("fb", "LSTM forget-gate bias", 0.0, 5.0, default=base.model.forget_bias, step=0.5,
                           help="σ(bias) is the share of the cell state kept per step at the start: σ(1) ≈ 0.73, "
                                "σ(3) ≈ 0.95.")
    steps = c.select_slider("steps", "Steps", [50, 100, 150, 200], default=base.train.steps)
with cols[2]:
    optimizer = c.select("opt", "Optimizer", list(OPTS), default=DEFAULT["opt"], format_func=OPTS.get)
    lr = c.select_slider("lr", "Learning rate", LRS, default=DEFAULT["lr"])
with cols[3]:
    nonlin = c.select("nonlin", "RNN non-linearity", ["tanh", "relu"], default="tanh")
    scale = c.select_slider("scale", "Recurrent weights W_hh ×", [0.5, 1.0, 2.0, 3.0], default=1.0)
cols = st.columns([2, 1, 1])
with cols[0]:
    clip = c.toggle("clip", "Gradient clipping (global norm 1)", default=False)
with cols[2]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
NONE_SOLVED = "none of them"


def solved_steps(run: live.LiveRun) -> dict[str, float]:
    """The step at which each cell that solved the task first reached 95 % validation accuracy."""
    steps_at = {CELL_LABELS[t.model_cfg.cell]: rnn.solved_at(t.recorder) for t in run.trainers.values()}
    return {cell: float(at) for cell, at in steps_at.items() if at is not None}


def first_solver(run: live.LiveRun) -> str | None:
    """The cell that solved it first; "none of them" if none did; None (no verdict) on a tie."""
    ranked = sorted(solved_steps(run).items(), key=lambda item: item[1])
    if not ranked:
        return NONE_SOLVED
    return None if len(ranked) > 1 and ranked[0][1] == ranked[1][1] else ranked[0][0]


cell_names = tuple(CELL_LABELS[cell] for cell in CELLS if cell in chosen)
guess = predict.ask(c, predict.Question(
    "Which cell will solve the memory task (95 % validation accuracy) first?", (*cell_names, NONE_SOLVED),
    answer=first_solver, evidence=solved_steps, label="step it first reached 95 %, cells that did", digits=4,
    may_diverge=tuple(rnn.label(cell, replace(base.model, forget_bias=forget_bias)) for cell in CELLS))
    if chosen else None)
c.publish()

run = comparison.start(c, lambda: CellComparison(
    replace(base.task, distractors=T, seed=seed),
    replace(base.model, hidden=hidden, forget_bias=forget_bias, recurrent_scale=scale, nonlinearity=nonlin),
    replace(base.train, optimizer=optimizer, lr=lr, steps=steps, seed=seed, grad_clip=1.0 if clip else 0.0),
    tuple(cell for cell in CELLS if cell in chosen),
), selected=chosen, empty="Pick at least one cell above to train.")
predict.hold(guess, run)
every, chance = base.train.record_every, base.task.chance


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    left, right = st.columns(2)
    with left:
        charts.show(rc.curves(trainers, "acc", chance), f"rnn.acc.{f}")
    with right:
        charts.show(rc.curves(trainers, "loss"), f"rnn.loss.{f}")
    charts.show(rc.bptt_profiles(trainers), f"rnn.bptt.{f}")
    maps = {name: t.bptt_map() for name, t in trainers.items()}
    notes = {name: f"diverged at step {t.step}" for name, t in trainers.items() if t.diverged}
    charts.show(rc.bptt_heatmaps(maps, notes, every, steps), f"rnn.heat.{f}")
    rows = rnn.summary(trainers)
    st.dataframe({"run": [r.label for r in rows], "parameters": [r.parameters for r in rows],
                  "CPU ms per step": [round(r.ms_per_step, 2) for r in rows],
                  "solved (≥ 95 %) at step": [str(r.solved_at) if r.solved_at is not None else "—" for r in rows],
                  "validation accuracy": [round(r.val_acc, 3) for r in rows], "status": [r.status for r in rows]},
                 hide_index=True)


live.play(run, draw)
predict.reveal(guess, run)

# --- Inside the cells ---------------------------------------------------------------------------
page.section(PAGE, "Inside the cells")
gated = [name for name, t in run.trainers.items() if t.model_cfg.cell != "rnn"]
if gated:
    example = st.number_input("Validation sequence", 0, base.task.n_val - 1, 0, key="rnn.example")
    for name in gated:
        t = run.trainers[name]
        trace = rnn.inside(t, int(example))
        first = int(t.dataset.y_val[int(example)])
        title = f"{name} at step {t.step}, sequence {int(example)} (first symbol {first})"
        figure = rc.lstm_inside(trace, title) if t.model_cfg.cell == "lstm" else rc.gru_inside(trace, title)
        charts.show(figure, f"rnn.inside.{name}")
else:
    st.info("Pick the LSTM or the GRU above to see their gates.")

page.section(PAGE, "Exploding through time, and clipping")
page.footer(PAGE)
