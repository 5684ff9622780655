"""AppTest of the Recurrent networks page: defaults draw every chart with real data; widgets
change what is trained; the exploding demo diverges with a message and clipping rescues it;
settings come from the link."""

import numpy as np
import pytest

from tests.support.helpers import app_at, figure, figures, holds_then_right, predicted_at, values

PAGE = "pages/rnn.py"
TITLES = ("Accuracy: recall the first symbol", "Loss: validation", "Backpropagation through time",
          "Gradient reaching step t over training", "LSTM (forget bias 3) at step 150", "GRU at step 150")


def names(fig):
    return [trace.get("name") for trace in fig["data"]]


def test_defaults_draw_every_chart_with_the_measured_data():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for title in TITLES:
        assert figure(at, title)["data"], title
    assert all(fig["data"] for fig in figures(at))
    profile = figure(at, "Backpropagation through time")
    by_name = {trace["name"]: values(trace["y"]) for trace in profile["data"]}
    assert by_name["RNN, at initialization"][0] < 1e-6
    assert by_name["LSTM (forget bias 3), at initialization"][0] > 1e-2
    heat = figure(at, "Gradient reaching step t")
    assert [a["text"] for a in heat["layout"]["annotations"]] == ["RNN", "LSTM (forget bias 3)", "GRU"]
    assert values(heat["data"][0]["z"]).shape == (41, 16)  # time steps × recorded steps
    assert values(heat["data"][0]["z"])[0, 0] < -6 < values(heat["data"][1]["z"])[0, 0]  # RNN dark, LSTM bright
    table = at.dataframe[0].value
    assert list(table["run"]) == ["RNN", "LSTM (forget bias 3)", "GRU"]
    assert list(table["parameters"]) == [1476, 5508, 4164]
    assert list(table["solved (≥ 95 %) at step"]) == ["—", "50", "—"]
    assert any("step 150 / 150 — finished" in str(p.proto) for p in at.get("progress"))


def test_cells_t_and_forget_bias_change_what_is_trained():
    at = app_at(PAGE)
    at.multiselect(key="rnn.cells").set_value(["lstm"])
    at.slider(key="rnn.T").set_value(10)
    at.slider(key="rnn.fb").set_value(1.0)
    at.select_slider(key="rnn.steps").set_value(50).run()
    assert not at.exception
    acc = figure(at, "Accuracy")
    assert names(acc)[0] == "LSTM (forget bias 1) — validation"
    profile = figure(at, "Backpropagation through time")
    assert len(values(profile["data"][0]["y"])) == 11  # T + 1 time steps
    assert "LSTM (forget bias 1) at step 50" in figure(at, "at step 50")["layout"]["title"]["text"]
    assert not [f for f in figures(at) if "GRU" in f["layout"]["title"]["text"]]


def test_exploding_demo_diverges_with_a_message_and_clipping_rescues_it():
    at = app_at(PAGE)
    at.button(key="rnn.explode").click().run()
    assert not at.exception
    assert any("diverged at step 2" in w.value for w in at.warning)
    assert "diverged at step 2" in str(figure(at, "Gradient reaching step t")["layout"]["annotations"])
    assert any("LSTM or the GRU" in i.value for i in at.info)  # no gates to show for the RNN alone

    at.toggle(key="rnn.clip").set_value(True).run()
    assert not at.exception
    assert not any("diverged" in w.value for w in at.warning)
    assert list(at.dataframe[0].value["status"]) == ["finished"]


def test_a_huge_learning_rate_shows_divergence_without_an_exception():
    at = app_at(PAGE)
    at.multiselect(key="rnn.cells").set_value(["rnn", "lstm"])
    at.select_slider(key="rnn.lr").set_value(10.0).run()
    assert not at.exception
    assert any("diverged" in w.value for w in at.warning)


def test_settings_come_from_the_link():
    at = app_at()
    at.query_params.update({"cells": "gru", "T": "20", "hidden": "16", "steps": "50", "seed": "3"})
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.multiselect(key="rnn.cells").value == ["gru"]
    assert at.slider(key="rnn.T").value == 20 and at.number_input(key="rnn.seed").value == 3
    profile = figure(at, "Backpropagation through time")
    assert names(profile) == ["GRU, at initialization", "GRU, step 50"]
    assert len(values(profile["data"][0]["y"])) == 21
    assert list(at.dataframe[0].value["parameters"]) == [3 * (16 * 8 + 16 * 16 + 32) + 16 * 4 + 4]
    assert np.isfinite(at.dataframe[0].value["validation accuracy"]).all()


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "50"}


@pytest.fixture(scope="module")
def measured_right() -> str:
    """The cell that first reaches 95 % validation accuracy in the lab's own run (the link's settings)."""
    from dataclasses import replace

    from dlcore.labs import rnn
    from dlcore.models.rnn import CELLS

    base = rnn.MEMORY
    runs = rnn.CellComparison(base.task, base.model, replace(base.train, steps=50), tuple(CELLS)).trainers()
    solved = {t.model_cfg.cell.upper(): rnn.solved_at(t.run().recorder) for t in runs.values()}
    solved = {cell: at for cell, at in solved.items() if at is not None}
    return min(solved, key=solved.get) if solved else "none of them"


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured_right):
    holds_then_right(predicted(), "rnn", measured_right)


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess="none of them" if measured_right != "none of them" else "RNN")
    assert any(w.icon == "❌" for w in at.warning) and not at.success
