"""AppTest of the Debugging page: defaults draw every chart with real data; choosing a bug retrains."""

import pytest

from dlcore.labs import practical_tips as pt
from tests.support.helpers import (
    app_at,
    figure,
    follows_then_takes_over,
    holds_then_right,
    predicted_at,
    shares_one_finished_run,
    values,
)

PAGE = "pages/practical_tips.py"
TITLES = ("Loss: train", "Accuracy: train", "Gradient norm", "Update-to-weight ratio", "Learning-rate range test",
          "Over-fit one batch", "two ways to write the loss", "Gradient check")


def names(fig):
    return [t.get("name") for t in fig["data"]]


def test_defaults_draw_every_chart_and_the_unscaled_run_diverges():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for title in TITLES:
        assert figure(at, title)["data"], title
    assert names(figure(at, "Gradient norm")) == ["broken: unscaled inputs (pixels 0…255)", "fixed"]
    assert any("diverged at step" in w.value for w in at.warning)
    assert any("unscaled inputs" in e.label for e in at.expander)
    range_fig = figure(at, "Learning-rate range test")
    assert len(values(range_fig["data"][1]["y"])) > 50
    errors = values(figure(at, "Gradient check")["data"][0]["x"])
    assert errors[0] < 1e-8 and errors[2] > 0.1
    assert any("SoftmaxBackward0" in code.value for code in at.code)


def test_choosing_another_bug_retrains_and_shows_its_explanation():
    at = app_at(PAGE)
    at.selectbox(key="dbg.bug").select("no_eval")
    at.select_slider(key="dbg.steps").set_value(50).run()
    assert not at.exception
    assert names(figure(at, "Gradient norm")) == ["broken: forgot model.eval()", "fixed"]
    assert any("forgot model.eval()" in e.label for e in at.expander)
    table = at.dataframe[-1].value
    assert len(set(table["eval mode"])) == 1 and len(set(table["train mode (forgot eval())"])) > 1
    assert not at.warning


def test_settings_come_from_the_link():
    at = app_at()
    at.query_params["bug"] = "lr_low"
    at.query_params["steps"] = "50"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.selectbox(key="dbg.bug").value == "lr_low"
    loss = figure(at, "Loss: train")
    assert len(values(loss["data"][0]["x"])) == 11  # steps 0, 5, …, 50


def test_a_huge_learning_rate_on_the_fixed_run_diverges_with_a_message():
    at = app_at(PAGE)
    at.selectbox(key="dbg.bug").select("lr_low")
    at.select_slider(key="dbg.lr").set_value(10.0).run()
    assert not at.exception
    assert any("fixed" in w.value and "diverged" in w.value for w in at.warning)


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "bug": "softmax_twice"}
BINS = ("less than 5 points", "5 to 30 points", "more than 30 points")


@pytest.fixture(scope="module")
def measured_right() -> str:
    """The accuracy the bug costs on the lab's own pair (the link's settings), as the question's bin."""
    runs = {name: t.run() for name, t in pt.pair("softmax_twice").items()}
    acc = {name: t.recorder.records[-1].val_acc for name, t in runs.items()}
    cost = 100 * (acc["fixed"] - acc[f"broken: {pt.BUG_LABELS['softmax_twice']}"])
    return BINS[0] if cost < 5 else BINS[1] if cost < 30 else BINS[2]


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured_right):
    at = holds_then_right(predicted(), "dbg", measured_right)
    assert "cost in points" in at.success[0].value


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess=next(b for b in BINS if b != measured_right))
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- A classroom: the same link shares one run ------------------------------------------------------
def test_the_same_link_draws_one_finished_run_and_another_seed_trains_its_own():
    """no_eval: the section under the run measures the shared network in both modes (on a copy)."""
    shares_one_finished_run(PAGE, "dbg", {"bug": "no_eval", "steps": "50", "seed": "21"},
                            score=lambda run: run.trainers["fixed"].recorder.records[-1].val_loss)


def test_a_student_follows_the_run_another_session_trains_then_takes_over(monkeypatch):
    """no_zero_grad: the gradients piled up so far are part of the run the follower takes over."""
    follows_then_takes_over(PAGE, {"bug": "no_zero_grad", "steps": "50", "seed": "31"}, monkeypatch)
