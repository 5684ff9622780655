"""Deep learning vs classical machine learning: five methods on the same digits, on raw pixels
and hand-made features, as the training set grows; their fitting time and what each lets you read."""

import streamlit as st

from dlcore import stable_hash
from dlcore.labs import classical_ml as cl
from ui import charts, live, page, predict
from ui.charts import classical_ml as cc
from ui.controls import checked

PAGE = "classical_ml"
base = cl.CLASSICAL
c = page.begin(PAGE)

# --- Five methods, the same data, trained live ---------------------------------------------------
st.subheader("Five methods on the same digits, trained live")
st.caption("Each method is fitted on the same nested training subsets (20 … 1,258 images) and scored on the same "
           "539 validation images; the smallest sets first. Classical methods: scikit-learn. The MLP: this app's "
           "network (2 hidden ReLU layers, Adam) trained through its Trainer.")
methods = c.multiselect("m", "Methods", list(cl.METHODS), default=list(base.methods))
feature_sets = c.multiselect("f", "Features", list(cl.FEATURE_SETS), default=list(base.feature_sets))
cols = st.columns(4)
with cols[0]:
    lr = c.select_slider("lr", "MLP learning rate", [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0],
                         default=base.mlp_lr)
    steps = c.select_slider("steps", "MLP steps", [50, 100, 150, 200, 400, 800], default=base.mlp_steps)
with cols[1]:
    width = c.select_slider("width", "MLP units per layer", [8, 16, 32, 64, 128, 256], default=base.mlp_width)
    rounds = c.select_slider("rounds", "Boosting rounds", [2, 5, 10, 20, 50], default=base.boosting_rounds)
with cols[2]:
    k = c.slider("k", "k of k-nearest neighbours", 1, 15, default=base.k, step=1)
with cols[3]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
guess = predict.ask(c, predict.Question.which(
    "On raw pixels and the whole training set, which method will be the most accurate?",
    measure=lambda run: {m: fit.accuracy for m, fit in run.trainers["comparison"].largest("pixels").items()},
    choices=[m for m in cl.METHODS if m in methods], label="validation accuracy, raw pixels, largest training set")
    if "pixels" in feature_sets and len(methods) > 1 else None)
c.publish()

if not methods or not feature_sets:
    st.info("Pick at least one method and one kind of features above.")
    st.stop()
cfg = checked(lambda: cl.ClassicalConfig(methods=tuple(m for m in cl.METHODS if m in methods),
                                         feature_sets=tuple(f for f in cl.FEATURE_SETS if f in feature_sets),
                                         mlp_width=width, mlp_lr=lr, mlp_steps=steps, boosting_rounds=rounds, k=k,
                                         seed=seed))
run = live.session(f"{c.page}.run", stable_hash(cfg), lambda: {"comparison": cl.ClassicalRun(cfg)}, shared=True)
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    r, f = run.trainers["comparison"], run.frame
    if not r.results:  # held at step 0 (a prediction to make first): nothing fitted to draw yet
        st.info("Nothing is fitted yet: each step fits every method on the next training-set size.")
        return
    charts.show(cc.scaling(r), f"cl.scaling.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(cc.features(r), f"cl.features.{f}")
    with right:
        charts.show(cc.fit_times(r, r.cfg.feature_sets[0]), f"cl.times.{f}")


live.play(run, draw, step_size=1)
predict.reveal(guess, run)
result = run.trainers["comparison"]
for message in result.diverged_messages():
    st.warning(message, icon="💥")

# --- Interpretability ----------------------------------------------------------------------------
page.section(PAGE, "What each model lets you read")
full = result.largest(cfg.feature_sets[0])
if "logistic regression" in full and cfg.feature_sets[0] == "pixels":
    charts.show(cc.logistic_images(cl.logistic_weights(full["logistic regression"])), "cl.lr_weights")
if "decision tree" in full:
    st.markdown(f"**The decision tree's first two levels** ({cfg.feature_sets[0]}, "
                f"{full['decision tree'].size} nodes in all):")
    st.code(cl.tree_rules(full["decision tree"], cfg.feature_sets[0]), language=None)
if full:
    st.dataframe({"method": list(full), "validation accuracy": [round(fit.accuracy, 3) for fit in full.values()],
                  "fit (CPU ms)": [round(fit.fit_seconds * 1000, 1) for fit in full.values()],
                  "predict (CPU ms)": [round(fit.predict_seconds * 1000, 1) for fit in full.values()],
                  "numbers it keeps": [fit.size for fit in full.values()],
                  "what you can read off it": [cl.READING[m] for m in full]}, hide_index=True)

page.section(PAGE, "Beyond 8×8 digits")
page.footer(PAGE)
