"""Representation learning: a network's hidden layers over training, linear probes per layer,
its first layer's weights as images, and transfer to a new task with few labels."""

import streamlit as st

from dlcore import stable_hash
from dlcore.labs import representation as rp
from ui import charts, live, page, predict
from ui.charts import representation as rc
from ui.controls import checked
from ui.runtime import device

PAGE = "representation"
base, tbase = rp.REPRESENTATION, rp.TRANSFER
c = page.begin(PAGE)

# --- A network trained on the digits, photographed as it learns --------------------------------
st.subheader("Train a network on the digits and watch its hidden layers")
st.caption("1,258 training and 539 validation images of 8×8 digits. Every few steps the 539 validation images "
           "are passed through the network and each layer's representation is projected on its first two "
           "principal components (PCA), one colour per digit.")
cols = st.columns(4)
with cols[0]:
    depth = c.slider("depth", "Hidden layers", 1, 4, default=base.depth, step=1)
    width = c.select_slider("width", "Units per layer", [4, 8, 16, 32, 64, 128], default=base.width)
with cols[1]:
    lr = c.select_slider("lr", "Learning rate", [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0], default=base.lr)
    steps = c.select_slider("steps", "Steps", [100, 200, 400, 800, 1500], default=base.steps)
with cols[2]:
    labels = c.select_slider("probe", "Labels for the linear probes", [10, 20, 50, 100, 200, 500, 1258],
                             default=base.probe_labels)
    per_class = c.select_slider("few", "Transfer: labels per digit", [1, 2, 5, 10, 20],
                                default=tbase.labels_per_class)
with cols[3]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
names = rp.depth_names(depth)


@st.cache_data(max_entries=8, show_spinner="Fitting a logistic regression on every layer…")
def probe(config_hash: str, _net: rp.RepresentationRun) -> rp.ProbeResult:
    return rp.probe_layers(_net)


def probed(run: live.LiveRun) -> dict[str, float]:
    """Each depth's linear-probe validation accuracy after training."""
    return dict(zip(names, probe(run.config_hash, run.trainers["network"]).after))


guess = predict.ask(c, predict.Question.which(
    "After training, which layer will a linear probe read the digit from best?", probed, choices=names,
    label="linear-probe validation accuracy after training"))
c.publish()

cfg = checked(lambda: rp.RepresentationConfig(depth=depth, width=width, lr=lr, steps=steps,
                                              snapshot_every=max(steps // 20, 1), probe_labels=labels, seed=seed))
run = live.session(f"{c.page}.run", stable_hash(cfg), lambda: {"network": rp.RepresentationRun(cfg, device())},
                   shared=True)
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    net, f = run.trainers["network"], run.frame
    y = net.labels.numpy()
    last = net.snapshots[-1]
    charts.show(rc.views([("step 0", net.snapshots[0]), (f"step {last.step}", last)], names, y), f"rep.views.{f}")
    left, right = st.columns(2)
    with left:
        charts.show(rc.separation(*net.separation("knn"), names, "Class separation: 5-NN accuracy",
                                  "leave-one-out 5-NN accuracy"), f"rep.knn.{f}")
    with right:
        charts.show(rc.separation(*net.separation("fisher"), names, "Class separation of the 2-D view",
                                  "Fisher ratio (between / within)"), f"rep.fisher.{f}")


live.play(run, draw)
predict.reveal(guess, run)
net = run.trainers["network"]

# --- Linear probes -------------------------------------------------------------------------------
page.section(PAGE, "Linear probes")
if run.done and not net.diverged:
    charts.show(rc.probes(probe(run.config_hash, net)), "rep.probes")
elif net.diverged:
    st.info("The run diverged: its layers hold no usable features to probe.")
else:
    st.info("The probes are fitted when training has finished.")

# --- What the first layer learned ----------------------------------------------------------------
page.section(PAGE, "What the first layer learned")
w0 = net.initial.blocks[0].linear.weight.detach().reshape(-1, 8, 8).numpy()[:16]  # (units, 8, 8)
w1 = net.first_layer_weights()[:16]
panels = {"step 0 (random)": w0, f"step {net.step}": w1, "the change: trained − initial": w1 - w0}
charts.show(charts.weight_images(panels, title=f"First layer's weights, {len(w0)} units: one 8×8 image per unit"),
            "rep.weights")
if net.step:
    st.caption(f"Neighbouring pixels' weights correlate {rp.neighbour_correlation(w0):.2f} at step 0, "
               f"{rp.neighbour_correlation(w1):.2f} at step {net.step}; the change alone: "
               f"{rp.neighbour_correlation(w1 - w0):.2f}.")
else:  # nothing trained yet (e.g. held for a prediction): no change to correlate
    st.caption(f"Neighbouring pixels' weights correlate {rp.neighbour_correlation(w0):.2f} at step 0; "
               "train to see how the weights change.")

# --- Transfer learning ---------------------------------------------------------------------------
page.section(PAGE, "Transfer learning")
tcfg = checked(lambda: rp.TransferConfig(labels_per_class=per_class, seed=seed))


@st.cache_data(max_entries=16, show_spinner="Training two source networks, then the target task from few labels…")
def transfer(cfg: rp.TransferConfig) -> rp.TransferResult:
    return rp.transfer(cfg, device())


result = transfer(tcfg)
charts.show(rc.transfer(result), "rep.transfer")
st.caption("Source networks on their own held-out images: "
           + ", ".join(f"{s}: {acc:.0%}" for s, acc in result.source_acc.items())
           + f". Mean ± std over {tcfg.repeats} draws of the labelled images.")

page.footer(PAGE)
