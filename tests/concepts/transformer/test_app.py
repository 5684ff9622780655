"""AppTest of the Transformers page: defaults draw every chart with the trained run's data; widgets,
the typed sequence and the link change what is drawn; a huge learning rate diverges with a message."""

import numpy as np
import pytest

from dlcore.labs import transformer as tf
from tests.support.helpers import (
    app_at,
    figure,
    figures,
    holds_then_right,
    predicted_at,
    shares_one_finished_run,
    values,
)

PAGE = "pages/transformer.py"
TITLES = ("Accuracy", "Loss: train", "Attention of every head over training", "Weight on the anti-diagonal",
          "attention on your sequence", "Q = X W_Q", "K = X W_K", "V = X W_V", "scores Q Kᵀ / √16",
          "softmax of each row", "output = weights · V", "Random unit-variance queries", "One attention layer")


def names(fig):
    return [trace.get("name") for trace in fig["data"]]


def markdown(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_defaults_train_both_runs_and_draw_every_chart():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for title in TITLES:
        assert figure(at, title)["data"], title
    acc = figure(at, "Accuracy")
    assert names(acc) == ["learned positional encoding — digits", "learned positional encoding — whole sequences",
                          "no positional encoding — digits", "no positional encoding — whole sequences"]
    final = [values(trace["y"])[-1] for trace in acc["data"]]
    assert final[1] == 1.0 and final[2] < 0.4 and final[3] == 0.0  # reverse solved only with positions
    maps = [trace for trace in figure(at, "over training")["data"] if trace["type"] == "heatmap"]
    assert len(maps) == 10  # 2 heads × 5 moments of training
    last = values(maps[-1]["z"])  # head 2 at the last step: (8, 8)
    assert np.fliplr(last).diagonal().mean() > 0.8
    anti = figure(at, "anti-diagonal")["data"]
    assert [t["name"] for t in anti][2:] == ["no positional encoding: head 1", "no positional encoding: head 2"]
    assert all(values(t["y"])[-1] > 0.8 for t in anti[:2]) and all(values(t["y"])[-1] < 0.2 for t in anti[2:])
    assert "step 200 / 200 — finished" in " ".join(p.proto.text for p in at.get("progress"))
    assert "→ the network: **6 2 9 5 1 4 1 3**" in markdown(at)


def test_the_typed_sequence_is_run_through_the_network_and_bad_text_is_explained():
    at = app_at(PAGE)
    at.text_input(key="tf.input").set_value("1 2 3 4, 5 6 7 8").run()
    assert not at.exception
    assert "→ the network: **8 7 6 5 4 3 2 1**" in markdown(at) and at.query_params["seq"] == "12345678"
    ticks = figure(at, "attention on your sequence")["data"][0]["x"]
    assert list(ticks) == [f"{i}:{i + 1}" for i in range(8)]

    at.text_input(key="tf.input").set_value("12ab").run()
    assert not at.exception and not at.error
    assert any("only the digits 0–9 can be read" in w.value for w in at.warning)
    at.text_input(key="tf.input").set_value("1234").run()
    assert any("exactly 8 digits; you typed 4" in w.value for w in at.warning)


def test_the_network_without_positions_can_be_looked_inside():
    at = app_at(PAGE)
    at.selectbox(key="tf.which").select("no positional encoding").run()
    assert not at.exception
    assert figure(at, "attention on your sequence")["layout"]["title"]["text"].startswith("no positional")
    assert "~~" in markdown(at)  # it gets digits wrong


def test_changing_the_settings_retrains_and_redraws():
    at = app_at(PAGE)
    at.selectbox(key="tf.task").select("sort")
    at.select_slider(key="tf.heads").set_value(4)
    at.select_slider(key="tf.steps").set_value(100)
    at.toggle(key="tf.compare").set_value(False).run()
    assert not at.exception and not at.error
    assert names(figure(at, "Accuracy")) == ["learned positional encoding — digits",
                                             "learned positional encoding — whole sequences"]
    maps = [t for t in figure(at, "over training")["data"] if t["type"] == "heatmap"]
    assert len(maps) == 4 * 5
    assert not any("anti-diagonal" in f["layout"]["title"]["text"] for f in figures(at))  # reverse only
    assert figure(at, "scores Q Kᵀ / √8")["data"]  # 32 / 4 heads = 8 dimensions per head

    at.selectbox(key="tf.head").select(3).run()
    assert not at.exception


def test_a_huge_learning_rate_diverges_with_a_message():
    at = app_at(PAGE)
    at.select_slider(key="tf.lr").set_value(10.0).run()
    assert not at.exception
    assert any("diverged at step" in w.value for w in at.warning)


def test_settings_come_from_the_link_and_go_back_into_it():
    at = app_at()
    at.query_params["task"] = "copy"
    at.query_params["pos"] = "none"
    at.query_params["steps"] = "100"
    at.query_params["seq"] = "11223344"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.selectbox(key="tf.task").value == "copy" and at.selectbox(key="tf.pos").value == "none"
    assert names(figure(at, "Accuracy")) == ["no positional encoding — digits",
                                             "no positional encoding — whole sequences"]
    assert values(figure(at, "Accuracy")["data"][1]["y"])[-1] >= 0.99  # copy needs no positions
    assert at.query_params["heads"] == "2" and at.query_params["seed"] == "0"
    assert "→ the network: **1 1 2 2 3 3 4 4**" in markdown(at)  # the link's own sequence, copied


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100"}
CHOICES = ("learned positional encoding", tf.NO_POSITIONS, "about the same")


@pytest.fixture(scope="module")
def measured_right() -> str:
    """What the lab's own run (the link's settings) measures: the run with more validation digits right,
    or "about the same" when they are within 2 points."""
    from dataclasses import replace

    runs = tf.trainers(train=replace(tf.TRAIN, steps=100))
    acc = {name: t.run().snapshots[-1].token_acc for name, t in runs.items()}
    (best, a), (_, b) = sorted(acc.items(), key=lambda item: -item[1])
    return "about the same" if a - b <= 0.02 else best


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured_right):
    holds_then_right(predicted(), "tf", measured_right)


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess=next(n for n in CHOICES if n != measured_right))
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- A classroom: the same link shares one finished run ---------------------------------------------
def test_the_same_link_draws_one_finished_run_and_another_seed_trains_its_own():
    shares_one_finished_run(PAGE, "tf", {"steps": "100", "seed": "21"},
                            score=lambda run: [t.recorder.records[-1].val_loss for t in run.trainers.values()])
