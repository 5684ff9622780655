"""GANs: a generator and a discriminator trained against each other on 8 Gaussian blobs, live."""

import math
from dataclasses import replace

import numpy as np
import streamlit as st
import torch

from dlcore import stable_hash
from dlcore.labs import gan as lab
from dlcore.models.gan import LATENT_SIZES, WIDTHS, GANConfig
from ui import charts, live, page, predict, upload
from ui.charts import gan as gc
from ui.controls import checked

PAGE, LRS = "gan", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0]
SHARED = dict(latent=2, width=64, steps=2000, data="ring")  # the set-ups the page's sentences are about
PRESETS = {  # button -> the controls it sets
    "⚖️ Balanced": dict(SHARED, loss="non_saturating", lr_g=1e-3, lr_d=1e-3, k=1),
    "🏃 Generator-heavy": dict(SHARED, loss="non_saturating", lr_g=1e-2, lr_d=1e-4, k=1),
    "🕵️ Discriminator-heavy": dict(SHARED, loss="non_saturating", lr_g=1e-4, lr_d=1e-2, k=3),
    "🌊 Wasserstein + GP": dict(SHARED, loss="wasserstein_gp", lr_g=1e-3, lr_d=1e-3, k=1, gp=1.0),
}
c = page.begin(PAGE)


def apply_preset(values: dict) -> None:
    for name, value in values.items():
        st.session_state[c.key(name)] = value


st.subheader("Train a GAN on 8 Gaussian blobs")
st.caption("Presets set the controls below (seed kept) to the set-ups described on this page; "
           "every control can then be moved on its own.")
for col, (label, values) in zip(st.columns(len(PRESETS)), PRESETS.items()):
    col.button(label, key=f"gan.preset.{label}", on_click=apply_preset, args=(values,), width="stretch")
cols = st.columns(4)
with cols[0]:
    loss = c.select("loss", "Loss", lab.LOSSES, default="non_saturating", format_func=lab.LOSS_LABELS.get)
    shape = c.select("data", "Data: 8 modes on a", lab.SHAPES, default="ring")
with cols[1]:
    lr_g = c.select_slider("lr_g", "Generator learning rate", LRS, default=1e-3)
    lr_d = c.select_slider("lr_d", "Discriminator learning rate", LRS, default=1e-3)
with cols[2]:
    k = c.slider("k", "D steps per G step", 1, 5, default=1, step=1)
    latent = c.select_slider("latent", "Latent size (z)", LATENT_SIZES, default=2)
with cols[3]:
    width = c.select_slider("width", "Units per layer (G and D)", WIDTHS, default=64)
    steps = c.select_slider("steps", "Steps", [500, 1000, 2000, 3000], default=2000)
cols = st.columns(4)
with cols[0]:
    gp = c.select_slider("gp", "Gradient penalty λ (Wasserstein only)", [0.0, 0.1, 1.0, 10.0], default=1.0,
                         disabled=loss != "wasserstein_gp")
with cols[1]:
    seed = c.number("seed", "Seed", 0, 9999, default=0)
own = upload.own_data(c.page, sample="moons", forms=("2d",))
if own is not None:
    st.info(f"The GAN trains on your file instead of the 8 blobs (the Data control is theirs): G must learn to "
            f"produce its {own.n_points:,} points, standardised like the built-in sets and scaled to fill the same "
            f"square. The labels are not trained on: your {own.n_classes} classes only play the modes whose "
            "coverage is measured.")
    modes, bins = f"{own.n_classes} classes of your file", {f"fewer than {own.n_classes}": own.n_classes - 0.5,
                                                          f"all {own.n_classes}": math.inf}
else:
    modes, bins = "8 modes", {"0 to 2": 2.5, "3 to 5": 5.5, "6 to 8": math.inf}
guess = predict.ask(c, predict.Question.how_much(
    f"With these settings, how many of the {modes} will the generator cover at the last step?",
    lambda run: run.trainers["GAN"].records[-1].modes_covered, bins=bins, name="modes covered",
    evidence=lambda run: {"share of good points": run.trainers["GAN"].records[-1].good_share}))
c.publish()

mix = checked(lambda: lab.MixtureConfig(shape=shape) if own is None else lab.uploaded_points(own))
gan = checked(lambda: GANConfig(latent=latent, width=width))
train = checked(lambda: lab.GANTrainConfig(loss=loss, lr_g=lr_g, lr_d=lr_d, d_steps=k, steps=steps,
                                           gp_weight=gp, seed=seed))
cap = lab.max_steps(gan, train)
if cap < steps:
    train = replace(train, steps=cap)
    st.caption(f"⏱️ Capped at {cap} steps with these settings, so the run finishes within a few seconds.")
st.caption("Results vary with the seed: a GAN that covers every mode on one seed may miss some on another. "
           "Try a few seeds before trusting a setting.")
run = live.session("gan.run", stable_hash(mix, gan, train), lambda: {"GAN": lab.GANTrainer(mix, gan, train)},
                   shared=True)
predict.hold(guess, run)


def draw(run: live.LiveRun) -> None:
    t, f = run.trainers["GAN"], run.frame
    s, last = t.series(), t.records[-1]
    m = st.columns(4)
    m[0].metric("modes covered" if own is None else "classes covered", f"{last.modes_covered} / {mix.modes}")
    m[1].metric("good points", f"{last.good_share:.0%}")
    what = "D(x)" if loss != "wasserstein_gp" else "f(x)"
    m[2].metric(f"mean {what} on real points", f"{last.d_real:.2f}")
    m[3].metric(f"mean {what.replace('x', 'G(z)')} on generated", f"{last.d_fake:.2f}")
    left, right = st.columns([3, 2])
    with left:
        title = f"Step {t.step}: D's map, the points, G's arrows"
        charts.show(gc.gan_lab_view(t.view(), title), f"gan.view.{f}")
    with right:
        note = None if own is None else f"of your {mix.modes} classes; good = within {mix.tolerance:.2g} of real points"
        charts.show(gc.coverage_chart(s, mix.modes, note), f"gan.coverage.{f}")
        charts.show(gc.mode_bars(last), f"gan.modes.{f}")
    charts.show(gc.loss_chart(s, loss), f"gan.losses.{f}")


live.play(run, draw, step_size=50)
predict.reveal(guess, run)

# --- The non-saturating trick ------------------------------------------------------------------
page.section(PAGE, "The non-saturating trick")
trainer = run.trainers["GAN"]
d_fake = np.linspace(0.001, 0.999, 300)
grads = {name: lab.logit_gradient(name, torch.from_numpy(d_fake)).numpy() for name in ("minimax", "non_saturating")}
now = trainer.mean_d_fake() if loss != "wasserstein_gp" and not trainer.diverged else None
left, right = st.columns([3, 2])
with left:
    charts.show(gc.logit_gradient_chart(d_fake, grads, now), "gan.trick")
with right:
    if now is None:
        st.info("With the Wasserstein loss D is a critic with no probability: switch the loss to see this run here.")
    else:
        norms = trainer.generator_gradient_norms()
        st.metric("this run now: mean D(G(z))", f"{now:.3f}")
        st.metric("‖∂L_G/∂θ_G‖, minimax", f"{norms['minimax']:.3g}")
        st.metric("‖∂L_G/∂θ_G‖, non-saturating", f"{norms['non_saturating']:.3g}")
        st.caption("Both gradients measured on the same noise and the same D, at the run's current step. "
                   "Compare the balanced and the discriminator-heavy presets.")

page.footer(PAGE)
