"""AppTest of the Mini-batch training page."""

import pytest

from tests.support.helpers import app_at, figure, holds_then_right, predicted_at, values

PAGE = "pages/minibatch.py"


def test_defaults_draw_noise_and_four_runs():
    at = app_at(PAGE)
    noise = figure(at, "Relative error of the mini-batch gradient")
    measured, predicted = (values(t["y"]) for t in noise["data"])
    assert len(measured) == 9 and measured[0] > 5 * measured[-1]
    assert len(figure(at, "Loss: train")["data"]) == 8
    assert "step 300 / 300" in at.get("progress")[0].proto.text


def test_epoch_axis_and_batch_choice_change_the_charts():
    at = app_at(PAGE)
    at.toggle(key="mb.per_epoch").set_value(True).run()
    loss = figure(at, "Loss: train")
    assert loss["layout"]["xaxis"]["title"]["text"].startswith("epoch")
    full_batch_x = values(loss["data"][-1]["x"])
    assert full_batch_x.max() > 100  # 300 full-batch steps = 300 epochs
    at.multiselect(key="mb.sizes").set_value(["8", "full"]).run()
    assert not at.exception
    assert {t["name"] for t in figure(at, "Loss: train")["data"]} >= {"B = 8 — train", "full batch — validation"}


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100"}


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    """Each batch size's final validation loss in the lab's own run (the link's settings, default sizes)."""
    from dataclasses import replace

    from dlcore.experiments import Comparison
    from dlcore.labs.minibatch import MINIBATCH as base

    runs = Comparison.over(base.data, base.model, replace(base.train, steps=100), "train.batch_size",
                           [4, 16, 64, 100_000], ["B = 4", "B = 16", "B = 64", "full batch"]).trainers()
    return {k: t.run().recorder.records[-1].val_loss for k, t in runs.items()}


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured):
    holds_then_right(predicted(), "mb", min(measured, key=measured.get))


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured):
    at = predicted(guess=max(measured, key=measured.get))
    assert any(w.icon == "❌" for w in at.warning) and not at.success
