"""AppTest of the Dropout page: defaults draw every chart; widgets change what is drawn."""

from dataclasses import replace

import pytest

from dlcore.labs.dropout import DROPOUT as D
from tests.support.helpers import app_at, figure, holds_then_right, linked_at, predicted_at, trains_on_uploads, values

PAGE = "pages/dropout.py"
TITLES = ("Loss: train", "Generalization gap", "Decision boundary", "keep-mask", "train vs eval mode",
          "agree in expectation", "dropout left on")




def names(fig):
    return [trace.get("name") for trace in fig["data"]]


def test_defaults_draw_every_chart_and_the_run_to_look_inside_changes_the_masks():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for title in TITLES:
        assert figure(at, title)["data"], title
    assert names(figure(at, "Generalization gap")) == ["p = 0", "p = 0.2", "p = 0.5"]
    mask = figure(at, "keep-mask")
    assert mask["layout"]["title"]["text"].startswith("p = 0.5")

    at.selectbox(key="do.inside").select("p = 0.2").run()
    assert not at.exception
    mask_02 = figure(at, "keep-mask")
    assert mask_02["layout"]["title"]["text"].startswith("p = 0.2")
    kept = [values(fig["data"][0]["z"]).mean() for fig in (mask, mask_02)]
    assert abs(kept[0] - 0.5) < 0.1 and abs(kept[1] - 0.8) < 0.1, kept
    assert "(p = 0.2)" in figure(at, "train vs eval mode")["layout"]["title"]["text"]


def test_changing_rates_retrains_and_a_huge_learning_rate_diverges_with_a_message():
    at = app_at(PAGE)
    at.multiselect(key="do.p").set_value(["0", "0.7"])
    at.select_slider(key="do.steps").set_value(100).run()
    assert not at.exception
    assert names(figure(at, "Generalization gap")) == ["p = 0", "p = 0.7"]
    assert figure(at, "keep-mask")["layout"]["title"]["text"].startswith("p = 0.7")

    at.select_slider(key="do.lr").set_value(10.0).run()
    assert not at.exception
    assert any("diverged" in w.value for w in at.warning)


def test_no_rate_above_zero_explains_instead_of_drawing_masks():
    at = app_at(PAGE)
    at.multiselect(key="do.p").set_value(["0"])
    at.select_slider(key="do.steps").set_value(100).run()
    assert not at.exception
    assert any("rate above 0" in i.value for i in at.info)


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100", "p": "0,0.5"}


@pytest.fixture(scope="module")
def measured_right() -> tuple[str, str]:
    """The dropout rate that ends with the lowest validation loss,
    measured by the lab's own run with the link's settings; and a choice that is not it."""
    from dlcore.experiments import Comparison, run_all

    comparison = Comparison.over(
        replace(D.data, seed=0),
        D.model,
        replace(D.train, steps=100, seed=0),
        "model.dropout", [0.0, 0.5], ["p = 0", "p = 0.5"])
    runs = run_all(comparison.trainers("cpu"))
    measured = {name: t.recorder.records[-1].val_loss for name, t in runs.items()}
    right = min(measured, key=measured.get)
    return right, next(name for name in measured if name != right)


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_then_a_right_answer_is_right(measured_right):
    holds_then_right(predicted(), "do", measured_right[0])


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess=measured_right[1])
    assert any(w.icon == "❌" for w in at.warning) and not any(s.icon == "✅" for s in at.success)
    assert any(f"this run says **{measured_right[0]}**" in w.value for w in at.warning)


# --- Your own data --------------------------------------------------------------------------------
def test_an_uploaded_file_retrains_on_it_and_a_bad_one_is_a_sentence():
    at = linked_at(PAGE, {"steps": "100", "p": "0,0.5"})
    run = trains_on_uploads(at, "do")
    assert list(run.trainers) == ["p = 0", "p = 0.5"]
