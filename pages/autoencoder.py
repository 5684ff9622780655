"""Autoencoders: a 2-D bottleneck on the digits against PCA, a latent walk, the bottleneck size,
denoising, a variational variant and anomaly detection by reconstruction error."""

from dataclasses import replace

import numpy as np
import streamlit as st

from dlcore import stable_hash
from dlcore.labs import autoencoder as ae
from ui import charts, live, page, predict
from ui.charts import autoencoder as aec
from ui.controls import checked
from ui.runtime import device

PAGE, base = "autoencoder", ae.DEFAULT
c = page.begin(PAGE)

# --- Controls ----------------------------------------------------------------------------------
st.subheader("Train an autoencoder on the 8×8 digits")
st.caption("Targets = inputs: the network is scored on how well it gives back each image through the bottleneck. "
           "Its linear twin (identity activation) trains beside it with the same seed and batches.")
cols = st.columns(4)
with cols[0]:
    latent = c.slider("z", "Bottleneck size (numbers in the code)", 2, 32, default=base.model.latent, step=1)
    hidden = c.select_slider("hidden", "Hidden units (encoder and decoder)", [16, 32, 64, 128],
                             default=base.model.hidden)
with cols[1]:
    activation = c.select("act", "Activation", ["relu", "tanh", "gelu", "leaky_relu", "sigmoid"],
                          default=base.model.activation)
    lr = c.select_slider("lr", "Learning rate (Adam)", [0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0],
                         default=base.train.lr)
with cols[2]:
    steps = c.select_slider("steps", "Steps (batches of 64)", [250, 500, 1000, 2000], default=base.train.steps)
    seed = c.number("seed", "Seed", 0, 9999, default=0)
with cols[3]:
    denoising = c.toggle("dae", "Also a denoising AE", default=False)
    noise = c.slider("noise", "Its input noise σ", 0.1, 0.5, default=0.3, step=0.1, disabled=not denoising)
    variational = c.toggle("vae", "Also a variational AE", default=False)
    beta = c.select_slider("beta", "Its KL weight β", [0.03, 0.1, 0.3, 1.0, 3.0], default=0.3,
                           disabled=not variational)
left, right = st.columns([3, 1])
with left:
    digits = c.multiselect("digits", "Digits to reconstruct", [str(d) for d in range(10)],
                           default=[str(d) for d in range(10)])
with right:
    sweep = c.toggle("sweep", "Also train every size 2–32", default=False,
                     help="The autoencoder and its linear twin at bottleneck 2, 4, 8, 16 and 32 (several seconds).")
guess = predict.ask(c, predict.Question.which(
    f"With a bottleneck of {latent}, which will reconstruct validation digits with the lower error?",
    measure=lambda run: {n: run.trainers[n].val_mse() for n in ("autoencoder", "linear AE")}, highest=False,
    choices=("autoencoder", "linear AE"), label="validation reconstruction MSE"))
c.publish()

setup = checked(lambda: replace(
    base, model=replace(base.model, latent=latent, hidden=hidden, activation=activation),
    train=replace(base.train, lr=lr, steps=steps, seed=seed),
    denoise=noise if denoising else 0.0, beta=beta if variational else 0.0))
# Shared: a finished run belongs to its settings (all in ``setup``), and everything below only reads the frozen
# networks (the lab measures them in eval mode and never switches a frozen one back).
run = live.session(f"{c.page}.run", stable_hash(setup), lambda: setup.trainers(device()), shared=True)
predict.hold(guess, run)
WALK_NOTE = ("**Reading the latent walk.** Each tile is the decoder's output at one point of the code plane, "
             "over the range where most training codes lie; the axes are those of the scatter's left panel "
             "(for a code of more than 2 numbers: the plane of its two principal directions, through the codes' mean). "
             "A VAE's walk, when you train one, spans ±2 standard deviations of its prior N(0, I).")
ks, pca_curve = ae.pca_mse_curve()
mean_mse = ae.mean_image_mse()


def healthy(trainers: dict) -> dict:
    """The runs that did not blow up (a diverged run's weights can be infinite)."""
    return {name: t for name, t in trainers.items() if not t.diverged}


def draw(run: live.LiveRun) -> None:
    f, ok = run.frame, healthy(run.trainers)
    charts.show(aec.loss_curves(run.trainers, float(pca_curve[latent - 1]), mean_mse), f"ae.loss.{f}")
    if not ok:
        return
    name = "autoencoder" if "autoencoder" in ok else next(iter(ok))
    charts.show(aec.code_scatter(ae.code_map(ok[name]), name), f"ae.codes.{f}")
    if digits:
        chosen = sorted(int(d) for d in digits)
        rows = ae.reconstructions(ok, chosen, noise=noise if denoising else 0.0, seed=seed)
        charts.show(aec.image_rows(rows, "Reconstructions of validation digits", chosen), f"ae.rec.{f}")
    walkers = [n for n in (name, "VAE") if n in ok]
    cols = st.columns(2)
    for col, n in zip(cols, walkers):
        span = 2.0 if ok[n].cfg.variational else None  # a VAE's prior: ±2 standard deviations
        images, axis = ae.latent_walk(ok[n], n=9, span=span)
        title = f"Latent walk: {n}<br><sub>its decoder over a grid of codes</sub>"
        with col:
            charts.show(aec.latent_walk(images, axis, title), f"ae.walk.{n}.{f}")
    if len(walkers) == 1:
        cols[1].caption(WALK_NOTE)


live.play(run, draw, step_size=50)
predict.reveal(guess, run)
ok = healthy(run.trainers)

# --- The bottleneck size, against PCA -----------------------------------------------------------
page.section(PAGE, "Bottleneck size: autoencoder against PCA")
points = {n: (latent, t.val_mse()) for n, t in ok.items() if not t.cfg.variational}
curves = None
if sweep and run.done:

    @st.cache_data(max_entries=4, show_spinner="Training the autoencoder at every size…")
    def size_sweep(config_hash: str, _setup: ae.Setup) -> dict:
        return ae.size_sweep(_setup, device=device())

    curves = size_sweep(run.config_hash, setup)
elif sweep:
    st.caption("The sweep over sizes starts when this run has finished.")
charts.show(aec.mse_vs_size(ks, pca_curve, mean_mse, points, curves), "ae.size_chart")
if "linear AE" in ok:
    angles = ae.angles_to_pca(ok["linear AE"])
    st.caption(f"Principal angles between the linear AE's decoder subspace and PCA's top {latent} components: "
               f"largest {angles.max():.1f}°, median {np.median(angles):.1f}° "
               f"(0° = the same subspace). Its MSE is {points['linear AE'][1]:.4f}, PCA's "
               f"{pca_curve[latent - 1]:.4f}.")

# --- Denoising, the VAE, anomalies --------------------------------------------------------------
page.section(PAGE, "Denoising autoencoder")
if denoising and ok:
    charts.show(aec.denoising_bars(ae.denoising_table(ok, noise), noise), "ae.dae_chart")
else:
    st.info("Turn on **Also a denoising AE** above to train one and compare it on noisy inputs.")

page.section(PAGE, "Variational autoencoder")
if "VAE" in ok:
    vae = ok["VAE"]
    samples = ae.prior_samples(vae, n=10, seed=seed)
    charts.show(aec.image_rows({"z ~ N(0, I)": samples}, "New digits: the VAE's decoder on samples of its prior"),
                "ae.samples_chart")
    plain = f" (the plain autoencoder's: {ok['autoencoder'].val_mse():.4f})" if "autoencoder" in ok else ""
    st.caption(f"KL(q(z|x) ‖ N(0, I)) on validation digits: {ae.kl_per_example(vae):.2f} nats per image; "
               f"reconstruction MSE {vae.val_mse():.4f}{plain}.")
else:
    st.info("Turn on **Also a variational AE** above to train one (about as fast as the plain one).")

page.section(PAGE, "Anomaly detection")
if "autoencoder" in ok:
    charts.show(aec.anomaly_histogram(ae.anomaly_scores(ok["autoencoder"], seed=seed)), "ae.anomaly_chart")

page.footer(PAGE)
