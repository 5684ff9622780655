"""AppTest of the Normalization page."""

from dataclasses import replace

import pytest

from dlcore.labs.normalization import NORMALIZATION as N
from tests.support.helpers import (
    app_at,
    figure,
    figures,
    holds_then_right,
    linked_at,
    predicted_at,
    trains_on_uploads,
    values,
)

PAGE = "pages/normalization.py"


def test_defaults_draw_the_matrices_and_three_runs():
    at = app_at(PAGE)
    assert figure(at, "BatchNorm: each column")["data"]
    assert len(figure(at, "Loss: train")["data"]) == 6
    assert "step 300 / 300" in at.get("progress")[0].proto.text


def test_initialization_change_redraws_the_layer_scales():
    at = app_at(PAGE)
    at.selectbox(key="norm.act").select("tanh").run()
    before = [values(t["y"]) for t in figure(at, "Activation std per layer")["data"]]
    at.selectbox(key="norm.init").select("small_normal").run()
    assert not at.exception
    plain, batch, layer = [values(t["y"]) for t in figure(at, "Activation std per layer")["data"]]
    middle = slice(2, 6)  # deep inside the network the plain net's signal has all but vanished
    assert plain[middle].max() < 1e-3 * min(batch[middle].min(), layer[middle].min())
    assert plain[middle].max() < before[0][middle].min() / 100


def test_the_sweep_runs_on_demand():
    at = app_at(PAGE)
    n = len(figures(at))
    at.button(key="norm.sweep").click().run()
    assert not at.exception
    assert len(figures(at)) == n + 1
    assert len(figure(at, "Final validation loss against learning rate")["data"]) == 3


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "depth": "4"}


@pytest.fixture(scope="module")
def measured_right() -> tuple[str, str]:
    """The normalization that ends with the lowest validation loss (a diverged run is not it),
    measured by the lab's own run with the link's settings; and a choice that is not it."""
    from dlcore.experiments import Comparison, run_all

    comparison = Comparison.over(
        replace(N.data, seed=0),
        replace(N.model, depth=4),
        replace(N.train, seed=0),
        "model.norm", ["none", "batch", "layer"], ["no normalization", "BatchNorm", "LayerNorm"])
    runs = run_all(comparison.trainers("cpu"))
    measured = {name: (float('inf') if t.diverged else t.recorder.records[-1].val_loss) for name, t in runs.items()}
    right = min(measured, key=measured.get)
    return right, next(name for name in measured if name != right)


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_then_a_right_answer_is_right(measured_right):
    holds_then_right(predicted(), "norm", measured_right[0])


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess=measured_right[1])
    assert any(w.icon == "❌" for w in at.warning) and not any(s.icon == "✅" for s in at.success)
    assert any(f"this run says **{measured_right[0]}**" in w.value for w in at.warning)


# --- Your own data --------------------------------------------------------------------------------
def test_an_uploaded_file_retrains_on_it_and_a_bad_one_is_a_sentence():
    at = linked_at(PAGE, {"depth": "3"})
    trains_on_uploads(at, "norm")
