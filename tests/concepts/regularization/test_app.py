"""AppTest of the Regularization page."""

from dataclasses import replace

import pytest

from dlcore.labs.regularization import REGULARIZATION as R
from tests.support.helpers import (
    app_at,
    figure,
    follows_then_takes_over,
    holds_then_right,
    linked_at,
    predicted_at,
    shares_one_finished_run,
    trains_on_uploads,
    values,
)

PAGE = "pages/regularization.py"


def test_defaults_draw_three_runs_with_early_stopping_marks():
    at = app_at(PAGE)
    loss = figure(at, "Loss: train")
    assert sum(1 for t in loss["data"] if t.get("legendgroup") == "stop") == 3
    assert len(figure(at, "Size of the weights")["data"]) == 3
    assert len(at.dataframe[0].value) == 3


def test_patience_changes_where_training_stops():
    at = app_at(PAGE)
    before = at.dataframe[0].value.iloc[:, 3].tolist()
    at.slider(key="reg.patience").set_value(10).run()
    assert not at.exception
    after = at.dataframe[0].value.iloc[:, 3].tolist()
    assert before != after


def test_choosing_decays_changes_the_runs():
    at = app_at(PAGE)
    at.multiselect(key="reg.wd").set_value(["0", "1"]).run()
    assert not at.exception
    norms = figure(at, "Size of the weights")["data"]
    assert [t["name"] for t in norms] == ["λ = 0", "λ = 1"]
    assert values(norms[1]["y"])[-1] < values(norms[0]["y"])[-1]


def test_random_labels_from_the_link_memorise_the_training_set():
    at = app_at()
    at.query_params["random"] = "1"
    at.query_params["steps"] = "2000"
    at.query_params["wd"] = "0"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("Random labels" in i.value for i in at.info)
    table = at.dataframe[0].value
    assert table["train accuracy"].iloc[0] > 0.95
    assert 0.35 <= table["validation accuracy"].iloc[0] <= 0.65


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100", "wd": "0,1"}


@pytest.fixture(scope="module")
def measured_right() -> tuple[str, str]:
    """The weight decay that ends with the smallest generalization gap,
    measured by the lab's own run with the link's settings; and a choice that is not it."""
    from dlcore.experiments import Comparison, run_all

    comparison = Comparison.over(
        replace(R.data, seed=0),
        R.model,
        replace(R.train, steps=100, seed=0),
        "train.weight_decay", [0.0, 1.0], ["λ = 0", "λ = 1"])
    runs = run_all(comparison.trainers("cpu"))
    measured = {name: t.recorder.records[-1].val_loss - t.recorder.records[-1].train_loss for name, t in runs.items()}
    right = min(measured, key=measured.get)
    return right, next(name for name in measured if name != right)


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_then_a_right_answer_is_right(measured_right):
    holds_then_right(predicted(), "reg", measured_right[0])


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess=measured_right[1])
    assert any(w.icon == "❌" for w in at.warning) and not any(s.icon == "✅" for s in at.success)
    assert any(f"this run says **{measured_right[0]}**" in w.value for w in at.warning)


# --- Your own data --------------------------------------------------------------------------------
def test_an_uploaded_file_retrains_on_it_and_a_bad_one_is_a_sentence():
    from dlcore.upload import parse_csv, sample_csv

    at = linked_at(PAGE, {"steps": "100", "wd": "0,1", "random": "1"})
    run = trains_on_uploads(at, "reg", labels=False)  # random labels: the file's points, its labels dealt out at random
    own = parse_csv(sample_csv("moons", 120, seed=3)).to_dataset(replace(R.data, noise=0.5))
    trained_on = next(iter(run.trainers.values())).dataset
    assert (trained_on.x_train == own.x_train).all() and not (trained_on.y_train == own.y_train).all()


# --- A classroom: the same link shares one run ------------------------------------------------------
def test_the_same_link_draws_one_finished_run_and_another_seed_or_random_labels_train_their_own():
    link = {"steps": "100", "wd": "0", "seed": "21"}
    first = shares_one_finished_run(PAGE, "reg", link,
                                    score=lambda run: run.trainers["λ = 0"].recorder.records[-1].val_loss)
    # The random-labels flag is outside the comparison's configs: it must still name another run.
    shuffled = linked_at(PAGE, {**link, "random": "1"}).session_state["reg.run"]
    assert shuffled.config_hash != first.config_hash and shuffled.trainers is not first.trainers
    assert shuffled.cpu_seconds > 0  # trained, not handed the run on true labels


def test_a_student_follows_the_run_another_session_trains_then_takes_over(monkeypatch):
    follows_then_takes_over(PAGE, {"steps": "100", "wd": "0", "random": "1", "seed": "31"}, monkeypatch)
