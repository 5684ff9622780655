"""Debugging a training run: deliberately broken runs next to their fixes, and the checks that find bugs."""

import math

import streamlit as st

from dlcore import stable_hash
from dlcore.labs import practical_tips as pt
from ui import charts, comparison, live, page, predict
from ui.charts import practical_tips as tc
from ui.controls import checked
from ui.runtime import device

PAGE = "practical_tips"
c = page.begin(PAGE)

# --- A broken run next to its fix ----------------------------------------------------------------
st.subheader("A broken run next to its fix")
st.caption("A 2 × 64 ReLU network on the 8×8 digits (600 to train, 200 to validate), SGD with momentum 0.9. "
           "Both runs share the data split, initial weights and mini-batches; one thing is wrong in the broken one.")
cols = st.columns(4)
with cols[0]:
    bug = c.select("bug", "What is broken", list(pt.BUGS), default=pt.DEFAULT_BUG, format_func=pt.BUG_LABELS.get)
with cols[1]:
    lr = c.select_slider("lr", "Learning rate of the fixed run", [0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 10.0],
                         default=pt.TRAIN.lr)
with cols[2]:
    steps = c.select_slider("steps", "Steps", [50, 100, 200, 400], default=pt.TRAIN.steps)
with cols[3]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
BROKEN = f"broken: {pt.BUG_LABELS[bug]}"  # the broken run's name in pt.pair


def accuracy(run: live.LiveRun) -> dict[str, float]:
    return {name: t.recorder.records[-1].val_acc for name, t in run.trainers.items()}


guess = predict.ask(c, predict.Question.how_much(
    "By the last step, how much validation accuracy will this bug cost, against the fixed run?",
    lambda run: 100 * (accuracy(run)["fixed"] - accuracy(run)[BROKEN]), name="cost in points", evidence=accuracy,
    bins={"less than 5 points": 5, "5 to 30 points": 30, "more than 30 points": math.inf},
    label="validation accuracy", may_diverge=(BROKEN,)))
c.publish()
cfg = checked(lambda: pt.DebugConfig(bug=bug, lr=lr, steps=steps, seed=seed))
page.section(PAGE, pt.BUG_LABELS[bug], expanded=True)
# One run for everyone on the same link: the config holds every input of the pair (bug, rate, steps, seed).
run = live.session("dbg.run", stable_hash(cfg), lambda: pt.pair(bug, lr, steps, seed, device()), shared=True)
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    left, right = st.columns(2)
    with left:
        charts.show(charts.run_curves(trainers), f"dbg.loss.{f}")
    with right:
        charts.show(charts.run_curves(trainers, metric="acc"), f"dbg.acc.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(tc.grad_norm(trainers), f"dbg.grad.{f}")
    with right:
        charts.show(tc.update_ratio(trainers), f"dbg.ratio.{f}")
    comparison.results_table(run, gap=True)


live.play(run, draw)
predict.reveal(guess, run)
if bug == "no_eval":
    broken = next(iter(run.trainers.values()))
    measured = pt.eval_vs_train_mode(broken)  # on a copy of its network: the run may be shared, read-only
    st.dataframe({mode: [round(a, 3) for a in accs] for mode, accs in measured.items()}, hide_index=True)
    st.caption("The same weights, measured five times in each mode: eval mode gives one answer, train mode "
               "(dropout still on) a different and lower one every time.")


@st.cache_data(max_entries=16, show_spinner="Running the checks…")
def checks(seed: int) -> dict:
    """The range test, the one-batch runs, the NaN hunt and the gradient check (small, so cached by seed)."""
    return {"range": pt.lr_range_test(seed=seed), "one batch": pt.overfit_one_batch(seed=seed),
            "nan": {"log(softmax(z)) by hand": pt.nan_detective(seed=seed),
                    "F.cross_entropy(z, y)": pt.nan_detective(seed=seed, loss="cross_entropy")},
            "grad": pt.gradient_check(seed), "gradcheck": {b: pt.gradcheck_passes(b) for b in (False, True)}}


found = checks(seed)

# --- The checks ----------------------------------------------------------------------------------
page.section(PAGE, "Learning-rate range test")
rt = found["range"]
charts.show(tc.range_test(rt, {"too low": pt.LR_LOW, "suggested": rt.suggested, "the fixed runs": pt.TRAIN.lr,
                               "too high": pt.LR_HIGH}), "dbg.range")
st.caption(f"{len(rt.lrs)} steps of the correct run, from lr = 10⁻⁴ up; the test stopped when {rt.stopped}. "
           f"Suggested: a tenth of the rate at the smoothed minimum, {rt.suggested:.3g}.")

page.section(PAGE, "Over-fit one batch first")
charts.show(tc.one_batch(found["one batch"]), "dbg.onebatch")

page.section(PAGE, "NaN detective")
reports = found["nan"]
charts.show(tc.nan_losses(reports), "dbg.nan")
naive = reports["log(softmax(z)) by hand"]
if naive.step is not None:
    st.code(f"finite check:   loss = {naive.loss} at step {naive.step}\n"
            f"logits:         largest gap in that batch {naive.largest_logit_gap:.0f}\n"
            f"gradients:      {len(naive.nonfinite_grads)} parameter tensors non-finite "
            f"({', '.join(naive.nonfinite_grads)})\n"
            f"detect_anomaly: {naive.anomaly}", language=None, wrap_lines=True)

page.section(PAGE, "Gradient checking")
charts.show(tc.gradient_errors(found["grad"]), "dbg.gradcheck")
st.caption(f"torch.autograd.gradcheck on the sigmoid: right backward → {found['gradcheck'][False]}, "
           f"buggy backward → {found['gradcheck'][True]}.")

page.section(PAGE, "Monitoring and early stopping")
page.section(PAGE, "Transfer learning and fine-tuning")
page.footer(PAGE)
