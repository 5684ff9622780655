"""AppTest of the Deep learning vs classical ML page."""

from types import SimpleNamespace

import pytest

from dlcore.labs import classical_ml as cl
from tests.support.helpers import (
    app_at,
    figure,
    follows_then_takes_over,
    holds_then_right,
    predicted_at,
    shares_one_finished_run,
    values,
)

PAGE = "pages/classical_ml.py"


def names(fig):
    return [t["name"] for t in fig["data"]]


def test_defaults_draw_the_three_comparisons_and_what_each_model_lets_you_read():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    scaling = figure(at, "Accuracy as the training set grows")
    assert len(scaling["data"]) == 10  # 5 methods × 2 feature sets
    assert values(scaling["data"][0]["x"]).tolist() == [20, 50, 150, 500, 1258]
    assert names(figure(at, "Raw pixels vs hand-made features")) == ["pixels", "hand-made"]
    times = figure(at, "Time to fit")["data"][0]
    assert list(times["x"]) == ["logistic regression", "decision tree", "gradient boosting", "k-nearest neighbours",
                                "MLP"]
    assert all(values(times["y"]) > 0)
    assert values(figure(at, "one weight image per digit")["data"][0]["z"]).shape == (17, 44)
    assert any("|--- pixel (row" in code.value for code in at.code)
    assert len(at.dataframe[0].value) == 5


def test_fewer_methods_and_features_change_what_is_drawn():
    at = app_at(PAGE)
    at.multiselect(key="cl.m").set_value(["decision tree", "MLP"])
    at.multiselect(key="cl.f").set_value(["hand-made"]).run()
    assert not at.exception and not at.error
    assert names(figure(at, "Accuracy as the training set")) == ["decision tree — hand-made", "MLP — hand-made"]
    assert any("|--- ink in" in code.value or "gradient at" in code.value for code in at.code)
    assert not [f for f in at.get("plotly_chart") if "weight image" in f.proto.spec]  # no logistic regression


def test_empty_selection_explains_and_a_huge_learning_rate_diverges_with_a_message():
    at = app_at(PAGE)
    at.multiselect(key="cl.m").set_value([]).run()
    assert not at.exception and any("at least one method" in i.value for i in at.info)
    at.multiselect(key="cl.m").set_value(["MLP"])
    at.select_slider(key="cl.lr").set_value(10.0).run()
    assert not at.exception
    assert any("diverged at step" in w.value for w in at.warning)


def test_settings_come_from_the_link():
    at = app_at()
    at.query_params["m"] = "k-nearest neighbours,logistic regression"
    at.query_params["k"] = "1"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.slider(key="cl.k").value == 1
    assert names(figure(at, "Raw pixels vs"))[0] == "pixels"
    assert list(figure(at, "Time to fit")["data"][0]["x"]) == ["logistic regression", "k-nearest neighbours"]
    assert at.query_params["steps"] in ("150", ["150"])


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "50"}


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    """Each method's validation accuracy on raw pixels, whole training set, in the lab's own run (the link's
    settings)."""
    from dataclasses import replace

    from dlcore.labs import classical_ml as cl

    fits = cl.ClassicalRun(replace(cl.CLASSICAL, mlp_steps=50)).run().largest("pixels")
    return {m: fit.accuracy for m, fit in fits.items()}


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured):
    holds_then_right(predicted(), "cl", max(measured, key=measured.get))


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured):
    at = predicted(guess=min(measured, key=measured.get))
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- A classroom: the same link trains one run ------------------------------------------------------
CLASS_LINK = {"steps": "50", "seed": "21"}  # the fewest MLP steps the page offers


def test_the_same_link_draws_one_finished_run_and_another_seed_trains_its_own():
    shares_one_finished_run(PAGE, "cl", CLASS_LINK,
                            score=lambda run: [r["val_acc"] for r in run.trainers["comparison"].rows()])


def test_a_student_follows_the_run_another_session_trains_then_takes_over(monkeypatch):
    # The rows hold each fit's CPU time, measured and never twice the same: on a stopped clock every fit
    # takes 0 s, so the rows compare what the run computed.
    monkeypatch.setattr(cl, "time", SimpleNamespace(process_time=lambda: 0.0))
    follows_then_takes_over(PAGE, CLASS_LINK, monkeypatch)
