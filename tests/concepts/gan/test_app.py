"""AppTest of the GAN page: the default run draws GAN Lab's view and the measurements; presets,
the loss and the link change what is trained; a huge learning rate is shown as divergence."""

import numpy as np
import pytest

from dlcore.models.gan import GANConfig
from tests.support.helpers import (
    MALFORMED_CSV,
    app_at,
    figure,
    follows_then_takes_over,
    linked_at,
    predicted_at,
    shares_one_finished_run,
    trains_on_uploaded_points,
    upload_csv,
    values,
)

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


# --- Your own data ----------------------------------------------------------------------------------
def fills_the_blobs_square(data) -> np.ndarray:
    """The file's points as the GAN must learn them, worked out here: each axis shifted and scaled so
    that it spans [-2, 2], the square of the 8 blobs (their ring's radius 2), as float32."""
    low, high = data.x.min(axis=0), data.x.max(axis=0)
    return ((data.x - (low + high) / 2) / ((high - low) / 2) * 2.0).astype(np.float32)


def by_rows(points: np.ndarray) -> np.ndarray:
    return points[np.lexsort(points.T[::-1])]


def test_an_uploaded_file_is_the_real_distribution_the_generator_learns():
    import torch

    from dlcore.upload import parse_csv, sample_csv

    at = linked_at(PAGE, {"steps": "500"})
    run = trains_on_uploaded_points(
        at, "gan", trained_on=lambda run: run.trainers["GAN"].mix.points.numpy(), expected=fills_the_blobs_square,
        curve=lambda run: run.trainers["GAN"].g_losses, info="The GAN trains on your file")
    t, file = run.trainers["GAN"], parse_csv(sample_csv("moons", 120, seed=3), "2d")
    assert t.mix.n == 120 and t.mix.modes == 2
    # every real point the chart draws is one of the file's, and all 120 of them are drawn
    real = figure(at, VIEW)["data"][1]
    drawn = np.stack([values(real["x"]), values(real["y"])], axis=1).astype(np.float32)
    assert np.array_equal(by_rows(drawn), by_rows(fills_the_blobs_square(file)))
    # real batches are drawn from those points only
    batch = t.mix.sample(256, torch.Generator().manual_seed(0)).numpy()
    assert np.isin(batch.view(np.complex64), fills_the_blobs_square(file).view(np.complex64)).all()
    assert metric(at, "classes covered").endswith("/ 2")
    assert "of your 2 classes" in figure(at, COVERAGE)["layout"]["title"]["text"]
    assert len(values(figure(at, MODES)["data"][0]["y"])) == 2


def test_a_malformed_file_for_the_gan_is_one_sentence_and_the_blobs_stay():
    at = linked_at(PAGE, {"steps": "500"})
    builtin = at.session_state["gan.run"].config_hash
    upload_csv(at, "gan", "bad.csv", b"x1,x2,label\n0.5,abc,1\n")
    errors = [e.value for e in at.error]
    assert errors == ["This file can't be used: line 2, column 2 (x2) holds 'abc', which is not a number."]
    assert at.session_state["gan.run"].config_hash == builtin and metric(at, "modes covered").endswith("/ 8")
    upload_csv(at, "gan", "bad.csv", MALFORMED_CSV)
    assert len(at.error) == 1 and not at.exception


def test_predict_holds_the_gan_on_an_upload_then_checks_the_answer_against_it():
    from dlcore.labs import gan as lab
    from dlcore.upload import parse_csv, sample_csv

    content = sample_csv("moons", 120, seed=3)
    mine = lab.GANTrainer(lab.uploaded_points(parse_csv(content, "2d")), GANConfig(),
                          lab.GANTrainConfig(steps=500)).run()
    right = "all 2" if mine.records[-1].modes_covered == 2 else "fewer than 2"
    at = upload_csv(predicted_at(PAGE, {"predict": "1", "steps": "500"}), "gan", "moons.csv", content)
    question = at.selectbox(key="gan.guess")
    assert "how many of the 2 classes of your file" in question.label
    assert question.options[1:3] == ["fewer than 2", "all 2"]
    assert any("Answer (or skip) to start training" in i.value for i in at.info)
    assert at.session_state["gan.run"].step == 0
    question.select(right).run()
    assert not at.exception and at.session_state["gan.run"].done
    assert at.session_state["gan.run"].trainers["GAN"].g_losses == mine.g_losses  # the run on the file
    assert [s.icon for s in at.success if s.icon] == ["✅"], [s.value for s in at.success]


# --- A classroom: the same link trains one run ------------------------------------------------------
CLASS_LINK = {"steps": "500", "seed": "21"}  # the fewest steps the page offers


def test_the_same_link_draws_one_finished_run_and_another_seed_trains_its_own():
    shares_one_finished_run(PAGE, "gan", CLASS_LINK, score=lambda run: run.trainers["GAN"].g_losses[-1])


def test_a_student_follows_the_run_another_session_trains_then_takes_over(monkeypatch):
    follows_then_takes_over(PAGE, CLASS_LINK, monkeypatch)
