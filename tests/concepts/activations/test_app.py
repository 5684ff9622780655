"""AppTest of the Activation functions page: defaults, and widgets that change what is drawn."""

import pytest

from tests.support.helpers import app_at, figure, values

PAGE = "pages/activations.py"


def test_defaults_draw_curves_softmax_and_five_trained_networks():
    at = app_at(PAGE)
    assert {t["name"] for t in figure(at, "f(x)")["data"]} == {"ReLU", "Leaky ReLU", "Sigmoid", "Tanh", "GELU"}
    assert values(figure(at, "softmax")["data"][0]["y"]).sum() == pytest.approx(1.0, abs=1e-5)
    loss = figure(at, "Loss: train")
    assert len(loss["data"]) == 10  # train + validation for each activation
    assert figure(at, "Decision boundary")["data"]
    assert not at.warning  # nothing diverged with the defaults
    assert "step 300 / 300" in at.get("progress")[0].proto.text


def test_choosing_activations_changes_the_runs():
    at = app_at(PAGE)
    at.multiselect(key="act.fns").set_value(["tanh", "relu"]).run()
    assert not at.exception
    names = {t["name"] for t in figure(at, "Loss: train")["data"]}
    assert names == {"Tanh — train", "Tanh — validation", "ReLU — train", "ReLU — validation"}


def test_learning_rate_10_shows_divergence_without_an_exception():
    at = app_at(PAGE)
    at.select_slider(key="act.lr").set_value(10.0).run()
    assert not at.exception
    assert at.warning and "diverged at step" in at.warning[0].value


def test_temperature_reshapes_softmax():
    at = app_at(PAGE)
    before = values(figure(at, "softmax")["data"][0]["y"])
    at.select_slider(key="act.T").set_value(10.0).run()
    after = values(figure(at, "softmax")["data"][0]["y"])
    assert before.max() > 0.6 and after.max() < 0.3  # T = 10 flattens the probabilities


def test_settings_come_from_the_link_and_go_back_into_it():
    at = app_at()
    at.query_params["lr"] = "0.1"
    at.query_params["fns"] = "relu,gelu"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.select_slider(key="act.lr").value == 0.1
    assert at.multiselect(key="act.fns").value == ["relu", "gelu"]
    assert at.query_params["depth"] == "3"


def test_a_bad_value_in_the_link_is_ignored_with_a_note():
    at = app_at()
    at.query_params["lr"] = "banana"
    at.query_params["depth"] = "99"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.select_slider(key="act.lr").value == 0.01 and at.slider(key="act.depth").value == 3
    assert any("Ignored `lr=banana`" in t.value for t in at.toast)
