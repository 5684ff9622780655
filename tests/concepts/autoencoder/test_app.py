"""AppTest of the Autoencoders page: defaults draw every chart with real data; the bottleneck,
the variants and the digits change what is drawn; a huge learning rate diverges with a message;
settings come from the link."""

import numpy as np
import pytest

from dlcore.labs import autoencoder as ae
from tests.support.helpers import app_at, figure, holds_then_right, predicted_at, shares_one_finished_run, values

PAGE = "pages/autoencoder.py"
TITLES = ("Reconstruction error on validation", "Where each validation digit lands", "Reconstructions of validation",
          "Latent walk: autoencoder", "against the size of the code", "Anomaly score")


def names(fig):
    return [trace.get("name") for trace in fig["data"]]


def test_defaults_draw_every_chart_with_real_data():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for title in TITLES:
        assert figure(at, title)["data"], title
    assert any("step 1000 / 1000 — finished" in p.proto.text for p in at.get("progress"))
    loss = figure(at, "Reconstruction error on validation")
    assert names(loss) == ["autoencoder", "linear AE"]
    ae_curve = values(loss["data"][0]["y"])
    assert ae_curve[-1] < 0.045 < ae_curve[0]  # trained below PCA-2 (0.053) from above the mean image
    codes = figure(at, "Where each validation digit lands")
    assert len(codes["data"]) == 20 and sum(len(values(t["x"])) for t in codes["data"][:10]) == 539
    rec = values(figure(at, "Reconstructions of validation")["data"][0]["z"])
    assert rec.shape == (4 * 9 - 1, 10 * 9 - 1)  # original, autoencoder, linear AE, PCA × ten digits
    assert figure(at, "Reconstructions of validation")["layout"]["yaxis"]["ticktext"][-1] == "PCA, 2 components"
    assert any("Principal angles" in c.value for c in at.caption)
    assert any("denoising AE" in i.value for i in at.info) and any("variational AE" in i.value for i in at.info)


def test_bottleneck_size_and_digits_change_what_is_drawn():
    at = app_at(PAGE)
    at.slider(key="ae.z").set_value(8)
    at.multiselect(key="ae.digits").set_value(["3", "5"])
    at.toggle(key="ae.sweep").set_value(True)
    at.select_slider(key="ae.steps").set_value(250).run()
    assert not at.exception
    size = figure(at, "against the size of the code")
    assert names(size)[:3] == ["autoencoder at every size", "linear AE at every size", "PCA with k components"]
    assert list(values(size["data"][0]["x"])) == [2, 4, 8, 16, 32]
    assert np.all(np.diff(values(size["data"][1]["y"])) < 0)  # the linear twin's error falls with the size
    assert [values(t["x"])[0] for t in size["data"][3:]] == [8, 8]
    assert "8-D code" in figure(at, "Where each validation digit lands")["layout"]["annotations"][0]["text"]
    rec = figure(at, "Reconstructions of validation")
    assert values(rec["data"][0]["z"]).shape[1] == 2 * 9 - 1
    assert rec["layout"]["yaxis"]["ticktext"][-1] == "PCA, 8 components"


def test_denoising_and_variational_toggles_train_and_draw_their_models():
    at = app_at(PAGE)
    at.toggle(key="ae.dae").set_value(True)
    at.toggle(key="ae.vae").set_value(True)
    at.select_slider(key="ae.steps").set_value(500).run()
    assert not at.exception and not at.error
    assert names(figure(at, "Reconstruction error on validation")) == [
        "autoencoder", "linear AE", "denoising AE", "VAE (MSE + β·KL/64)"]
    bars = figure(at, "Denoising: trained on noisy")
    noisy = dict(zip(values(bars["data"][1]["x"]), values(bars["data"][1]["y"])))
    assert noisy["denoising AE"] < noisy["autoencoder"] < noisy["noisy input itself"]
    assert figure(at, "Latent walk: VAE")["data"]
    samples = values(figure(at, "samples of its prior")["data"][0]["z"])
    assert np.isfinite(samples[~np.isnan(samples)]).all() and samples.shape == (8, 10 * 9 - 1)
    assert any("KL(q(z|x)" in c.value for c in at.caption)


def test_a_huge_learning_rate_diverges_with_a_message_and_no_exception():
    at = app_at(PAGE)
    at.select_slider(key="ae.lr").set_value(10.0).run()
    assert not at.exception
    assert any("diverged at step" in w.value for w in at.warning)
    assert figure(at, "Reconstruction error on validation")["data"]


def test_settings_come_from_the_link_and_a_bad_value_is_ignored():
    at = app_at()
    at.query_params["z"] = "4"
    at.query_params["dae"] = "1"
    at.query_params["steps"] = "banana"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.slider(key="ae.z").value == 4 and at.toggle(key="ae.dae").value is True
    assert at.select_slider(key="ae.steps").value == 1000
    assert any("Ignored `steps=banana`" in t.value for t in at.toast)
    assert figure(at, "Denoising: trained on noisy")["data"]
    assert at.query_params["hidden"] == "64"


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "250", "z": "32"}


@pytest.fixture(scope="module")
def measured_right() -> str:
    """Which of the two the lab's own run (the link's settings) measures with the lower validation MSE."""
    from dataclasses import replace

    base = ae.DEFAULT
    runs = replace(base, model=replace(base.model, latent=32), train=replace(base.train, steps=250)).trainers()
    mse = {name: runs[name].run().val_mse() for name in ("autoencoder", "linear AE")}
    return min(mse, key=mse.get)


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured_right):
    holds_then_right(predicted(), "ae", measured_right)


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess=next(n for n in ("autoencoder", "linear AE") if n != measured_right))
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- A classroom: the same link shares one finished run ---------------------------------------------
def test_the_same_link_draws_one_finished_run_and_another_seed_trains_its_own():
    first = shares_one_finished_run(PAGE, "ae", {"steps": "250", "seed": "21", "vae": "1"},
                                    score=lambda run: run.trainers["autoencoder"].val_mse())
    assert "VAE" in first.trainers
