"""AppTest of the GAN page: the default run draws GAN Lab's view and the measurements; presets,
the loss and the link change what is trained; a huge learning rate is shown as divergence."""

import pytest

from dlcore.models.gan import GANConfig
from tests.support.helpers import app_at, figure, predicted_at, values

PAGE = "pages/gan.py"
VIEW, COVERAGE, MODES, LOSSES, TRICK = ("D's map", "Mode collapse, measured", "Points per mode",
                                        "The two losses", "How hard each G loss pushes")


def metric(at, label_part: str) -> str:
    return next(m.value for m in at.metric if label_part in m.label)


def test_defaults_train_to_the_end_and_draw_every_chart_with_real_data():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    view = figure(at, VIEW)
    heat, real, fake, arrows = view["data"]
    d = values(heat["z"])
    assert d.shape == (40, 40) and 0 <= d.min() and d.max() <= 1
    assert len(values(fake["x"])) == 500 and len(values(real["x"])) == 500
    assert arrows["marker"]["symbol"] == "arrow"
    assert view["layout"]["title"]["text"].startswith("Step 2000")
    modes = values(figure(at, COVERAGE)["data"][0]["y"])
    assert modes[0] == 0 and modes[-1] == 8  # the claim-tested default run
    assert metric(at, "modes covered") == "8 / 8"
    assert len(values(figure(at, MODES)["data"][0]["y"])) == 8
    assert len(values(figure(at, LOSSES)["data"][0]["y"])) == 2000
    assert figure(at, TRICK)["data"]
    assert any("Results vary with the seed" in c.value for c in at.caption)


def test_the_generator_heavy_preset_sets_the_controls_and_collapses():
    at = app_at(PAGE)
    at.select_slider(key="gan.width").set_value(16).run()
    next(b for b in at.button if b.key and "Generator-heavy" in b.key).click().run()
    assert not at.exception
    assert at.select_slider(key="gan.lr_g").value == 0.01 and at.select_slider(key="gan.lr_d").value == 0.0001
    assert at.query_params["lr_g"] == "0.01" and at.select_slider(key="gan.width").value == 64
    assert metric(at, "modes covered") == "0 / 8"


def test_the_wasserstein_loss_draws_a_critic_and_enables_lambda():
    at = app_at(PAGE)
    assert at.select_slider(key="gan.gp").disabled
    at.selectbox(key="gan.loss").select("wasserstein_gp")
    at.select_slider(key="gan.steps").set_value(500).run()
    assert not at.exception
    assert not at.select_slider(key="gan.gp").disabled
    assert figure(at, VIEW)["data"][0]["colorbar"]["title"]["text"] == "critic f(x)"
    assert any("critic with no probability" in i.value for i in at.info)


def test_a_huge_learning_rate_shows_divergence_without_an_exception():
    at = app_at(PAGE)
    at.select_slider(key="gan.lr_g").set_value(10.0)
    at.select_slider(key="gan.lr_d").set_value(10.0).run()
    assert not at.exception
    assert any("diverged at step" in w.value for w in at.warning)


def test_heavy_settings_are_capped_and_said_so():
    at = app_at(PAGE)
    at.select_slider(key="gan.width").set_value(256)
    at.slider(key="gan.k").set_value(5)
    at.select_slider(key="gan.steps").set_value(3000).run()
    assert not at.exception
    assert any("Capped at" in c.value for c in at.caption)


def test_settings_come_from_the_link_and_a_bad_value_is_ignored():
    at = app_at()
    at.query_params["seed"] = "1"
    at.query_params["latent"] = "1"
    at.query_params["lr_d"] = "banana"
    at.query_params["steps"] = "500"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.number_input(key="gan.seed").value == 1 and at.select_slider(key="gan.latent").value == 1
    assert at.select_slider(key="gan.lr_d").value == 0.001
    assert any("Ignored `lr_d=banana`" in t.value for t in at.toast)
    assert figure(at, VIEW)["layout"]["title"]["text"].startswith("Step 500")
    assert at.query_params["width"] == "64" and at.query_params["loss"] == "non_saturating"


# --- Predict, then reveal -------------------------------------------------------------------------
LINK = {"predict": "1", "steps": "1000"}


@pytest.fixture(scope="module")
def measured_bin() -> str:
    """The modes the lab's own run covers with the link's settings, as the question's bin."""
    from dlcore.labs import gan as lab

    t = lab.GANTrainer(lab.MixtureConfig(), GANConfig(), lab.GANTrainConfig(steps=1000)).run()
    covered = t.records[-1].modes_covered
    return "0 to 2" if covered < 2.5 else "3 to 5" if covered < 5.5 else "6 to 8"


def predicted(guess: str | None = None):
    return predicted_at(PAGE, LINK, guess)


def test_predict_holds_the_gan_at_step_0_then_a_right_answer_is_right(measured_bin):
    at = predicted()
    assert at.session_state["gan.run"].step == 0
    at.selectbox(key="gan.guess").select(measured_bin).run()
    assert not at.exception and at.session_state["gan.run"].done
    assert [s.icon for s in at.success] == ["✅"] and "modes covered" in at.success[0].value


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_bin):
    at = predicted(guess=next(b for b in ("0 to 2", "3 to 5", "6 to 8") if b != measured_bin))
    assert any(w.icon == "❌" for w in at.warning) and not at.success
