"""AppTest of the Data augmentation page: defaults draw every chart with real data; widgets change it."""

import pytest

from dlcore.labs import augmentation as aug
from tests.support.helpers import app_at, figure, holds_then_right, predicted_at, shares_one_finished_run, values

PAGE = "pages/augmentation.py"
TITLES = ("One batch", "Loss: train", "Accuracy: train", "Validation accuracy on varied digits",
          "Validation gain", "Reliability diagram")


def runs_of(fig):
    return list(fig["data"][0]["y"])


def test_defaults_draw_every_chart_with_the_default_runs():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for title in TITLES:
        assert figure(at, title)["data"], title
    heat = figure(at, "varied digits")
    assert runs_of(heat) == ["no augmentation", "shift ±1 px", "cutout 3×3", "mixup", "label smoothing"]
    z = values(heat["data"][0]["z"])
    assert z.shape == (5, 4) and z[1, 1] > z[0, 1] + 0.3  # shift training holds up on shifted digits
    grid = values(figure(at, "One batch")["data"][0]["z"])
    assert grid.shape == (5 * 9 - 1, 8 * 9 - 1)
    table = at.dataframe[0].value
    assert list(table["run"]) == runs_of(heat) and (table["ECE"] >= 0).all()


def test_choosing_augmentations_retrains_and_the_gain_needs_the_baseline():
    at = app_at(PAGE)
    at.multiselect(key="aug.aug").set_value(["none", "rotate"])
    at.select_slider(key="aug.steps").set_value(100).run()
    assert not at.exception
    assert runs_of(figure(at, "varied digits")) == ["no augmentation", "rotate ±15°"]
    gain = figure(at, "Validation gain")
    assert [t["name"] for t in gain["data"] if t.get("type") == "bar"] == ["rotate ±15°"]

    at.multiselect(key="aug.aug").set_value(["shift"]).run()
    assert not at.exception
    assert any("no augmentation" in i.value for i in at.info)


def test_settings_come_from_the_link():
    at = app_at()
    at.query_params["aug"] = "none,cutmix"
    at.query_params["n"] = "50"
    at.query_params["steps"] = "100"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.select_slider(key="aug.n").value == 50
    assert runs_of(figure(at, "varied digits")) == ["no augmentation", "CutMix"]


def test_a_huge_learning_rate_diverges_with_a_message():
    at = app_at(PAGE)
    at.select_slider(key="aug.lr").set_value(10.0).run()
    assert not at.exception
    assert any("diverged" in w.value for w in at.warning)


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100"}


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    """Each run's accuracy on shifted validation digits, measured on the lab's own run (the link's settings)."""
    from dataclasses import replace

    runs = aug.experiment(aug.DEFAULT_CHOICES, aug.AugmentConfig(), replace(aug.TRAIN, steps=100))
    return {name: aug.shifted_accuracy(t.run()) for name, t in runs.items()}


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured):
    best = max(measured.values())
    (right,) = [name for name, acc in measured.items() if acc == best]  # one best run, or the test is moot
    holds_then_right(predicted(), "aug", right)


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured):
    at = predicted(guess=min(measured, key=measured.get))
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- A classroom: the same link shares one finished run ---------------------------------------------
def test_the_same_link_draws_one_finished_run_and_another_seed_trains_its_own():
    shares_one_finished_run(PAGE, "aug", {"steps": "100", "seed": "21"},
                            score=lambda run: [t.recorder.records[-1].val_loss for t in run.trainers.values()])
