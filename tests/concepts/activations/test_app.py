"""AppTest of the Activation functions page: defaults, and widgets that change what is drawn."""

from dataclasses import replace

import pytest

from dlcore.labs.activations import ACTIVATIONS as A
from tests.support.helpers import app_at, figure, predicted_at, values

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


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100", "fns": "relu,sigmoid,tanh"}


@pytest.fixture(scope="module")
def measured_right() -> tuple[str, str]:
    """The activation that ends with the highest validation loss,
    measured by the lab's own run with the link's settings; and a choice that is not it."""
    from dlcore.experiments import Comparison, run_all

    comparison = Comparison.over(
        replace(A.data, seed=0),
        replace(A.model, bias_init=0.0),
        replace(A.train, steps=100, seed=0),
        "model.activation", ["relu", "sigmoid", "tanh"], ["ReLU", "Sigmoid", "Tanh"])
    runs = run_all(comparison.trainers("cpu"))
    measured = {name: t.recorder.records[-1].val_loss for name, t in runs.items()}
    right = max(measured, key=measured.get)
    return right, next(name for name in measured if name != right)


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_then_a_right_answer_is_right(measured_right):
    at = predicted()
    assert any("Answer (or skip) to start training" in i.value for i in at.info)
    assert at.session_state["act.run"].step == 0
    at.selectbox(key="act.guess").select(measured_right[0]).run()
    assert not at.exception and at.session_state["act.run"].done
    assert [s.icon for s in at.success] == ["✅"] and not any(w.icon == "❌" for w in at.warning)


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess=measured_right[1])
    assert any(w.icon == "❌" for w in at.warning) and not any(s.icon == "✅" for s in at.success)
    assert any(f"this run says **{measured_right[0]}**" in w.value for w in at.warning)


# --- Your own data --------------------------------------------------------------------------------
def test_an_uploaded_file_retrains_on_it_and_a_bad_one_is_a_sentence():
    from dlcore.upload import sample_csv

    at = app_at()
    at.query_params.update({"steps": "100", "fns": "relu,tanh"})
    at.switch_page(PAGE).run()
    assert not at.exception
    n_builtin = len(next(iter(at.session_state["act.run"].trainers.values())).dataset.y_train)
    at.file_uploader(key="act.upload.file").set_value(("mine.csv", b"1\n2\n3\n", "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error][0].startswith("This file can't be used: line 1 has 1 column")
    assert len(next(iter(at.session_state["act.run"].trainers.values())).dataset.y_train) == n_builtin
    at.file_uploader(key="act.upload.file").set_value(
        ("mine.csv", sample_csv("moons", 120, seed=3).encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert "120 examples, 2 features, 2 classes" in at.success[0].value
    assert any("train on your file" in i.value for i in at.info)
    run = at.session_state["act.run"]
    assert run.done and all(len(t.dataset.y_train) + len(t.dataset.y_val) == 120 for t in run.trainers.values())
    assert len(run.trainers[next(iter(run.trainers))].dataset.y_train) != n_builtin
    from ui.comparison import _trained_on_own_data  # the exported script must carry this data

    assert all(_trained_on_own_data(t) for t in run.trainers.values())
    at.file_uploader(key="act.upload.file").clear().run()  # the file removed: the toy set, regenerated by a script
    assert not at.exception and not any(_trained_on_own_data(t) for t in at.session_state["act.run"].trainers.values())
    assert not any("mine" in str(v) or "upload" in k for k, v in at.query_params.items())  # no file in the link
