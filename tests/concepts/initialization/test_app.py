"""AppTest: the Weight initialization page with its defaults, and widgets that change what is drawn."""


import numpy as np
import pytest

from tests.support.helpers import app_at, figure, holds_then_right, predicted_at, values

PAGE = "pages/initialization.py"
TITLES = ["Forward: activation std", "Backward: gradient norm", "Activation histograms per layer",
          "Loss: train", "Gradient norm during training", "Weights of hidden layer"]




def test_defaults_draw_every_chart_and_the_symmetry_problem():
    at = app_at(PAGE)
    assert not at.exception and not at.error
    for title in TITLES:
        assert figure(at, title)["data"], title
    forward = figure(at, "Forward")
    assert [t["name"] for t in forward["data"]] == ["zeros", "N(0, 0.01²)", "N(0, 1)", "Xavier normal", "He normal"]
    assert len(values(forward["data"][-1]["x"])) == 11  # the input + 10 hidden layers
    sym = figure(at, "Weights of hidden layer 10")
    titles = [a["text"] for a in sym["layout"]["annotations"]]
    assert titles[0] == "zeros: units differ by up to 0" and titles[1].startswith("He normal")
    assert any("N(0, 1)" in w.value and "diverged" in w.value for w in at.warning)


def test_fewer_layers_and_another_activation_redraw_the_probe():
    at = app_at(PAGE)
    he_before = values(figure(at, "Forward")["data"][-1]["y"])
    at.slider(key="init.depth").set_value(5).run()
    assert not at.exception
    forward = figure(at, "Forward")
    assert len(values(forward["data"][-1]["x"])) == 6
    np.testing.assert_allclose(values(forward["data"][-1]["y"]), he_before[:6])  # same seed, same first layers
    assert "layer 5" in figure(at, "Weights of hidden layer")["layout"]["title"]["text"]

    relu_bins = values(figure(at, "histograms")["data"][0]["y"])
    at.selectbox(key="init.act").select("tanh").run()
    assert not at.exception
    tanh_bins = values(figure(at, "histograms")["data"][0]["y"])
    assert relu_bins.max() > 1.5 and tanh_bins.max() < 1.0  # tanh's bins span its range (-1, 1)


def test_too_big_a_training_run_is_refused_with_a_message_but_the_probe_still_draws():
    at = app_at(PAGE)
    at.slider(key="init.depth").set_value(20)
    at.select_slider(key="init.width").set_value(256)
    at.select_slider(key="init.steps").set_value(300).run()
    assert not at.exception
    assert any("would take too long" in e.value for e in at.error)
    assert len(values(figure(at, "Forward")["data"][-1]["x"])) == 21
    with pytest.raises(AssertionError):
        figure(at, "Loss: train")


def test_a_huge_learning_rate_diverges_with_a_message_not_an_exception():
    at = app_at(PAGE)
    at.select_slider(key="init.lr").set_value(10.0).run()
    assert not at.exception
    assert any("He normal" in w.value and "diverged" in w.value for w in at.warning)


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "50"}


@pytest.fixture(scope="module")
def measured_right() -> str:
    """The scheme the lab's own run (the link's settings) ends with the lowest validation loss, among those
    that did not diverge."""
    from dataclasses import replace

    from dlcore.experiments import Comparison
    from dlcore.labs import initialization as init_lab

    base = init_lab.INITIALIZATION
    runs = Comparison.over(base.data, base.model, replace(base.train, steps=50), "model.init", init_lab.INIT_SCHEMES,
                           [init_lab.LABELS[s] for s in init_lab.INIT_SCHEMES]).trainers()
    losses = {n: t.run().recorder.records[-1].val_loss for n, t in runs.items()}
    losses = {n: v for n, v in losses.items() if not runs[n].diverged}
    return min(losses, key=losses.get)


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured_right):
    holds_then_right(predicted(), "init", measured_right)


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess="zeros" if measured_right != "zeros" else "He normal")
    assert any(w.icon == "❌" for w in at.warning) and not at.success
