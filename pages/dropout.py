"""Dropout: an over-fitting network trained with several dropout rates, its masks, the two
scaling conventions, and Monte-Carlo dropout's uncertainty."""

from dataclasses import replace

import streamlit as st

from dlcore import boundary
from dlcore.config import DATASETS
from dlcore.experiments import Comparison
from dlcore.labs import dropout as do
from dlcore.labs.dropout import DROPOUT, DROPOUT_RATES
from ui import charts, comparison, live, page, predict, upload
from ui.charts import dropout as dc

PAGE, RATES = "dropout", ["0", "0.1", "0.2", "0.3", "0.5", "0.7", "0.9"]
base = DROPOUT
c = page.begin(PAGE)

# --- An over-fitting set-up, trained with each dropout rate -------------------------------------
st.subheader("Train the same network with each dropout rate")
st.caption("Few noisy points, a wide network, many steps: built to over-fit. Same data, seed, initial weights "
           "and mini-batches for every run; only the dropout rate p of the hidden layers differs.")
chosen = c.multiselect("p", "Dropout rates p", RATES, default=[f"{p:g}" for p in DROPOUT_RATES], max_selections=4)
cols = st.columns(4)
with cols[0]:
    data_name = c.select("data", "Data set", [d for d in DATASETS if d != "digits"], default=base.data.name)
    noise = c.slider("noise", "Noise", 0.0, 1.0, default=base.data.noise, step=0.1)
with cols[1]:
    n_samples = c.select_slider("n", "Samples (half for validation)", [100, 200, 400, 800],
                                default=base.data.n_samples)
    width = c.select_slider("width", "Units per layer", [16, 32, 64, 128, 256], default=base.model.width)
with cols[2]:
    depth = c.slider("depth", "Hidden layers", 1, 3, default=base.model.depth, step=1)
    lr = c.select_slider("lr", "Learning rate", [0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0], default=base.train.lr)
with cols[3]:
    steps = c.select_slider("steps", "Steps", [100, 200, 300, 400], default=base.train.steps)
    seed = c.number("seed", "Seed", 0, 9999, default=0)
rates = sorted(float(r) for r in chosen)
labels = [f"p = {p:g}" for p in rates]
guess = predict.ask(c, predict.Question.which(
    "Which dropout rate ends with the lowest validation loss?", choices=labels, highest=False,
    measure=lambda run: {n: t.recorder.records[-1].val_loss for n, t in run.trainers.items()},
    label="validation loss at the end") if len(labels) > 1 else None)
c.publish()
own = upload.own_data(c.page, sample=data_name, forms=("2d",), seed=seed)
if own is not None:
    st.info(f"These runs train on your file instead of the {data_name} set (the noise and sample-count "
            "sliders apply to the built-in sets only).")

run = comparison.start(c, lambda: Comparison.over(
    replace(base.data, name=data_name, noise=noise, n_samples=n_samples, seed=seed),
    replace(base.model, depth=depth, width=width),
    replace(base.train, lr=lr, steps=steps, seed=seed),
    "model.dropout", rates, labels, upload=own,
), selected=rates, empty="Pick at least one dropout rate above to train.")
predict.hold(guess, run)
with_dropout = [name for name, t in run.trainers.items() if t.model_cfg.dropout > 0]
inside = st.selectbox("Look inside the run", with_dropout, index=len(with_dropout) - 1, key="do.inside",
                      help="Its masks, its train/eval outputs and its MC-dropout uncertainty are shown below.")


def draw(run: live.LiveRun) -> None:
    trainers, f = run.trainers, run.frame
    charts.show(dc.loss_curves(trainers), f"do.loss.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(dc.gap_curves(trainers), f"do.gap.{f}")
    mask = do.last_mask(trainers[inside].model) if inside else None
    if mask is not None:
        title = f"{inside}: keep-mask of layer 1 ({mask.mean():.0%} kept)"
        with right:
            charts.show(dc.mask_heatmap(mask[:, :48], title), f"do.mask.{f}")  # (batch, ≤ 48 units)
    first = next(iter(trainers.values()))
    grids = {name: boundary.probability_grid(t, n=50) for name, t in trainers.items()}
    points = (first.dataset.x_train.cpu().numpy(), first.dataset.y_train.cpu().numpy())
    charts.show(charts.decision_boundaries(grids, points), f"do.boundary.{f}")
    comparison.results_table(run, gap=True)


comparison.play(run, draw)
predict.reveal(guess, run)

# --- Inverted vs classic dropout on one real input --------------------------------------------
page.section(PAGE, "Inverted vs classic dropout")
if inside:
    trainer = run.trainers[inside]
    p = trainer.model_cfg.dropout
    h = do.hidden_before_dropout(trainer.model, trainer.dataset.x_val[:1])[0]  # (width,)
    comp = do.compare_conventions(h, p, passes=2000, seed=seed)
    left, right = st.columns(2)
    with left:
        charts.show(dc.train_vs_eval(comp), "do.train_eval")
    with right:
        charts.show(dc.convention_scatter(comp), "do.conventions")
    st.caption(f"Input: hidden layer 1 of the {inside} network on one validation point. "
               f"Keep probability q = {1 - p:g}; the classic form's points sit at q × the input.")

    # --- Monte-Carlo dropout --------------------------------------------------------------------
    page.section(PAGE, "Monte-Carlo dropout")
    if run.done and trainer.dataset.n_features == 2:

        @st.cache_data(max_entries=8, show_spinner="30 stochastic passes over the plane…")
        def mc_grid(config_hash: str, label: str, step: int, _model) -> tuple:
            return do.mc_probability_grid(_model, passes=30, n=40, seed=0)

        axis, mean, std = mc_grid(run.config_hash, inside, trainer.step, trainer.model)
        points = (trainer.dataset.x_train.cpu().numpy(), trainer.dataset.y_train.cpu().numpy())
        charts.show(dc.mc_heatmaps(axis, mean, std, points, f"{inside}: dropout left on, 30 passes"), "do.mc")
    else:
        st.info("The uncertainty map appears when training has finished.")
else:
    st.info("Pick a dropout rate above 0 to see masks, the two scaling conventions and MC dropout.")

page.footer(PAGE)
