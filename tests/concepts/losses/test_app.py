"""AppTest of the Loss functions page."""

import pytest

from tests.support.helpers import (
    app_at,
    figure,
    follows_then_takes_over,
    holds_then_right,
    linked_at,
    shares_one_finished_run,
    values,
)

PAGE = "pages/losses.py"


def test_defaults_fit_three_lines_and_draw_the_classification_charts():
    at = app_at(PAGE)
    fit = figure(at, "Fitted lines after 300 steps")
    names = [t["name"] for t in fit["data"]]
    assert names[0] == "data" and any(n.startswith("MSE: slope") for n in names)
    assert figure(at, "Gradient ∂loss/∂z")["data"] and figure(at, "Focal loss")["data"]
    assert len(at.metric) == 3


def test_removing_the_outliers_brings_the_lines_together():
    at = app_at(PAGE)
    at.slider(key="loss.outliers").set_value(0).run()
    assert not at.exception
    slopes = [float(t["name"].split("slope ")[1]) for t in figure(at, "Fitted lines")["data"][2:]]
    assert max(slopes) - min(slopes) < 0.1


def test_huber_delta_changes_the_gradient_curve():
    at = app_at(PAGE)
    before = values(figure(at, "Its gradient")["data"][2]["y"]).max()
    at.select_slider(key="loss.delta").set_value(4.0).run()
    after = values(figure(at, "Its gradient")["data"][2]["y"]).max()
    assert before == 1.0 and after == 4.0


# --- Predict, then reveal -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    """|fitted slope − true slope| of each loss's line in the lab's own run (the page's default settings)."""
    from dlcore import TrainConfig
    from dlcore.labs import losses as L

    data = L.LineData(outliers=4, outlier_height=8.0, seed=0)
    train = TrainConfig(optimizer="adam", lr=0.05, steps=300, seed=0)
    fits = {L.LABELS[n]: L.LineFit(data, n, train, 1.0) for n in L.REGRESSION_LOSSES}
    return {name: abs(fit.run().line[0] - data.slope) for name, fit in fits.items()}


def predicted(guess: str | None = None):
    at = app_at()
    at.query_params.update({"predict": "1"} | ({"guess": guess} if guess else {}))
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured):
    holds_then_right(predicted(), "loss", max(measured, key=measured.get))


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured):
    at = predicted(guess=min(measured, key=measured.get))
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- A classroom: the same link shares one run ------------------------------------------------------
def test_the_same_link_draws_one_finished_run_and_another_seed_or_delta_trains_its_own():
    link = {"seed": "21"}
    first = shares_one_finished_run(PAGE, "loss", link, score=lambda run: run.trainers["MSE"].line)
    # Huber's δ is not in the fits' configs: it must still name another run, with another Huber line.
    other = linked_at(PAGE, {**link, "delta": "4.0"}).session_state["loss.run"]
    assert other.config_hash != first.config_hash and other.trainers is not first.trainers
    assert other.trainers["Huber"].line != first.trainers["Huber"].line


def test_a_student_follows_the_run_another_session_trains_then_takes_over(monkeypatch):
    follows_then_takes_over(PAGE, {"seed": "31"}, monkeypatch)
