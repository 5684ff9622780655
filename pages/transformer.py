"""Transformers: a small encoder learns to reverse, sort or copy digits live; attention maps of every
head; positional encoding on and off; self-attention step by step; √d and the O(T²) cost."""

from dataclasses import replace

import numpy as np
import streamlit as st

from dlcore import stable_hash
from dlcore.labs import transformer as tf
from dlcore.models.size import count_parameters
from dlcore.models.transformer import NORM_PLACEMENT, POSITIONAL
from ui import charts, live, page, predict
from ui.charts import transformer as tc
from ui.controls import checked
from ui.runtime import device

PAGE = "transformer"
c = page.begin(PAGE)

# --- A toy task, learned live -----------------------------------------------------------------
st.subheader("Train a Transformer encoder on 8 digits")
cols = st.columns(4)
with cols[0]:
    task = c.select("task", "Task", tf.TASKS, default=tf.TASK.task, format_func=tf.TASK_LABELS.get)
    positional = c.select("pos", "Positional encoding", POSITIONAL, default=tf.MODEL.positional)
with cols[1]:
    layers = c.slider("layers", "Encoder blocks", 1, 2, default=tf.MODEL.layers, step=1)
    heads = c.select_slider("heads", "Heads per block", [1, 2, 4], default=tf.MODEL.heads)
with cols[2]:
    lr = c.select_slider("lr", "Learning rate (Adam)", [0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0],
                         default=tf.TRAIN.lr)
    steps = c.select_slider("steps", "Steps", [100, 200, 300, 400], default=tf.TRAIN.steps)
with cols[3]:
    norm = c.select("norm", "LayerNorm", NORM_PLACEMENT, default=tf.MODEL.norm,
                    format_func={"pre": "pre-LN (GPT-2 and after)", "post": "post-LN (the 2017 paper)"}.get)
    seed = c.number("seed", "Seed", 0, 9999, default=0)
compare = c.toggle("compare", "Train the same network without positional encoding, side by side", default=True)
runs = (tf.run_label(positional), tf.NO_POSITIONS)
guess = predict.ask(c, predict.Question.which(
    f"Which network will get more digits right when it learns to {tf.TASK_LABELS[task]}?", choices=runs,
    measure=lambda run: {n: t.snapshots[-1].token_acc for n, t in run.trainers.items()}, tie="about the same",
    within=0.02, label="share of validation digits right") if compare and positional != "none" else None)
c.publish()

task_cfg, model_cfg, train_cfg = checked(lambda: (
    replace(tf.TASK, task=task, seed=seed),
    replace(tf.MODEL, positional=positional, layers=layers, heads=heads, norm=norm, seed=seed),
    replace(tf.TRAIN, lr=lr, steps=steps, seed=seed)))
# Shared: a finished run belongs to its settings (all in the hash), and everything below only reads it
# (no-grad forward passes of the frozen networks on the learner's sequence, the recorded snapshots).
run = live.session(f"{c.page}.run", f"{stable_hash(task_cfg, model_cfg, train_cfg)}.{compare}",
                   lambda: tf.trainers(task_cfg, model_cfg, train_cfg, compare, device()), shared=True)
predict.hold(guess, run)
main = next(iter(run.trainers.values()))
st.caption(f"{tf.TASK_LABELS[task].capitalize()}: {task_cfg.n_train:,} random training sequences, "
           f"{task_cfg.n_val} for validation; {count_parameters(main.model):,} parameters; mini-batches of "
           f"{train_cfg.batch_size}. The runs share seed, data and mini-batches.")


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    left, right = st.columns(2)
    with left:
        charts.show(tc.accuracy_curves(trainers), f"tf.acc.{f}")
    with right:
        charts.show(tc.loss_curves(trainers), f"tf.loss.{f}")
    charts.show(tc.attention_over_training(main), f"tf.maps.{f}")
    if task == "reverse":
        charts.show(tc.anti_diagonal_curves(trainers), f"tf.anti.{f}")
    last = {name: t.snapshots[-1] for name, t in trainers.items()}
    st.dataframe({"run": list(last), "digits right": [round(s.token_acc, 3) for s in last.values()],
                  "whole sequences right": [round(s.sequence_acc, 3) for s in last.values()]}, hide_index=True)


live.play(run, draw)
predict.reveal(guess, run)

# --- The learner's own sequence -------------------------------------------------------------
st.subheader("Your sequence through the trained network")
left, right = st.columns([2, 1])
st.session_state.setdefault("tf.input", st.query_params.get("seq", "31415926"))  # a shared link brings its own
text = left.text_input("Type 8 digits", key="tf.input", max_chars=40,
                       help="Spaces and commas between the digits are fine.")
which = right.selectbox("Network", list(run.trainers), key="tf.which")
try:
    tokens = tf.parse_digits(text, task_cfg.length)
    st.query_params["seq"] = "".join(map(str, tokens.tolist()))
except ValueError as err:
    tokens = tf.parse_digits("31415926")
    st.warning(f"Can't read that sequence: {err}. Showing 3 1 4 1 5 9 2 6 instead.", icon="✍️")
p = tf.predict(run.trainers[which], tokens)
marks = " ".join(f"{d}" if d == t else f"~~{d}~~" for d, t in zip(p.predicted, p.target))
st.markdown(f"Input `{' '.join(map(str, p.tokens))}` → right answer `{' '.join(map(str, p.target))}` → "
            f"the network: **{marks}** ({int((p.predicted == p.target).sum())} of {len(p.target)} right, "
            f"struck-through digits are wrong; step {run.trainers[which].step}).")
charts.show(tc.sequence_attention(p.maps, p.tokens, f"{which}: attention on your sequence"), "tf.yours")

# --- Self-attention step by step ------------------------------------------------------------
page.section(PAGE, "Self-attention step by step")
cols = st.columns(2)
layer = cols[0].selectbox("Block", range(model_cfg.layers), format_func=lambda i: f"block {i + 1}",
                          key="tf.layer")
head = cols[1].selectbox("Head", range(model_cfg.heads), format_func=lambda h: f"head {h + 1}", key="tf.head")
s = tf.attention_steps(run.trainers[which].model, tokens, min(layer, layers - 1), min(head, heads - 1))
rows, dims = [f"{i}:{d}" for i, d in enumerate(p.tokens)], [str(j) for j in range(s.d_head)]
dim_title = f"dimension (d_head = {s.d_head})"
for col, (z, name) in zip(st.columns(3), [(s.q, "Q"), (s.k, "K"), (s.v, "V")]):
    with col:  # transposed, one column per position: the numbers stay legible
        charts.show(tc.matrix(z.T, f"{name}ᵀ, {name} = X W_{name} + b_{name}", dims, rows, dim_title, "position:digit"),
                    f"tf.step.{name}")
for col, (z, title, y_labels, y_title, x_title, scale) in zip(st.columns(3), [
    (s.scores, f"scores Q Kᵀ / √{s.d_head}", rows, "query", "key", "RdBu"),
    (s.weights, "weights = softmax of each row", rows, "query", "key", "Blues"),
    (s.output.T, "outputᵀ, output = weights · V", dims, dim_title, "position:digit", "RdBu"),
]):
    with col:
        charts.show(tc.matrix(z, title, y_labels, rows, y_title, x_title, scale), f"tf.step.{title[:5]}")
i = int(np.argmax(s.weights[0]))
st.caption(f"Check one entry: query 0 and key {i}: Q[0]·K[{i}] = {s.dot[0, i]:.2f}, divided by "
           f"√{s.d_head} = {np.sqrt(s.d_head):g} gives {s.scores[0, i]:.2f}; the softmax of row 0 turns it into "
           f"{s.weights[0, i]:.2f}. Across this head the raw scores Q Kᵀ have std {s.dot.std():.2f}, "
           f"the scaled ones {s.scores.std():.2f}.")

# --- Why √d, and what attention costs -------------------------------------------------------
page.section(PAGE, "Why divide by √d")


@st.cache_data(show_spinner="Timing one attention layer…")
def measured() -> tuple[tf.ScalingEffect, tf.AttentionCost]:
    return tf.scaling_effect(dims=(4, 16, 64, 256, 1024)), tf.attention_cost(lengths=(32, 64, 128, 256, 512))


effect, cost = measured()
charts.show(tc.scaling(effect), "tf.scaling")
page.section(PAGE, "What attention costs")
charts.show(tc.cost(cost), "tf.cost")
page.footer(PAGE)
