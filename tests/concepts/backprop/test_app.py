"""AppTest: the Backpropagation page with its defaults, and widgets that change what is drawn."""

from dataclasses import replace

import numpy as np
import pytest

from tests.support.helpers import (
    app_at,
    figure,
    follows_then_takes_over,
    holds_then_right,
    linked_at,
    predicted_at,
    shares_one_finished_run,
    trains_on_uploaded_points,
    upload_csv,
)

PAGE = "pages/backprop.py"


@pytest.fixture(scope="module")
def at():
    return app_at(PAGE)


def _boxes(fig: dict) -> list[str]:
    """The node boxes' texts of the computational graph (column titles are in italics)."""
    return [a["text"] for a in fig["layout"]["annotations"] if not a["text"].startswith("<i>")]


def test_defaults_draw_the_graph_the_table_and_the_training(at):
    assert not at.exception and not at.error
    graph = figure(at, "Computational graph — step 0 of 23: start")
    assert len(_boxes(graph)) == 2 + 9 + 6  # inputs, parameters, z₁ h₁ z₂ h₂ o L
    loss = figure(at, "Training loss")["data"][0]
    assert loss["y"]  # the 400 steps, possibly as a typed array
    assert len(figure(at, "gradient size |∂L/∂θ|")["data"]) == 9 and len(figure(at, "value θ")["data"]) == 9
    table = at.dataframe[0].value
    assert len(table) == 9 and (table["|hand − autograd|"] <= 1e-12).all()
    assert (table["|hand − finite diff.|"] <= 1e-6).all()
    captions = " ".join(c.value for c in at.caption)
    assert "of the training points on the right side" in captions


def test_next_moves_the_walk_through_and_fills_in_a_value():
    at = app_at(PAGE)
    before = figure(at, "Computational graph")
    z1_before = next(t for t in _boxes(before) if t.startswith("<b>z₁</b>"))
    assert z1_before.startswith("<b>z₁</b> = ?")
    at.button(key="bp.next").click().run()
    assert not at.exception
    after = figure(at, "Computational graph — step 1 of 23: forward pass at z₁")
    z1_after = next(t for t in _boxes(after) if t.startswith("<b>z₁</b>"))
    assert not z1_after.startswith("<b>z₁</b> = ?") and "∂L/∂z₁ = ?" in z1_after  # value yes, gradient not yet
    text = " ".join(m.value for m in at.markdown)
    assert "z₁ = w₁₁·x₁ + w₁₂·x₂ + b₁ = " in text


def test_changing_the_activation_changes_the_gradients_drawn():
    at = app_at(PAGE)
    at.slider(key="bp.pos").set_value(23).run()  # the end: every gradient known
    before = _boxes(figure(at, "Computational graph — step 23"))
    grads_before = figure(at, "gradient size |∂L/∂θ|")["data"][0]["y"]
    at.selectbox(key="bp.act").select("relu").run()
    assert not at.exception and not at.error
    after = _boxes(figure(at, "Computational graph — step 23"))
    assert before != after
    assert any("ReLU" in c.value or "relu" in c.value for c in at.caption)
    assert figure(at, "gradient size |∂L/∂θ|")["data"][0]["y"] != grads_before


def test_more_hidden_units_draw_a_bigger_graph():
    at = app_at(PAGE)
    at.select_slider(key="bp.hidden").set_value(3).run()
    assert not at.exception
    assert len(_boxes(figure(at, "Computational graph — step 0 of 31"))) == 2 + 13 + 8
    assert len(figure(at, "gradient size |∂L/∂θ|")["data"]) == 13


def test_a_huge_learning_rate_shows_divergence_not_an_exception():
    at = app_at(PAGE)
    at.select_slider(key="bp.lr").set_value(10.0).run()
    assert not at.exception and not at.error
    assert any("diverged at step" in w.value for w in at.warning)


# --- Predict, then reveal -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def measured_right() -> str:
    """Whether the lab's own run (the page's defaults) gets at least 90% of the XOR training points right."""
    from dlcore.labs import backprop as bp

    return "yes" if bp.ScalarTrainer(bp.BACKPROP_NET, bp.BACKPROP_TRAIN).run().train_accuracy() >= 0.9 else "no"


def predicted(guess: str | None = None):
    at = app_at()
    at.query_params.update({"predict": "1"} | ({"guess": guess} if guess else {}))
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured_right):
    holds_then_right(predicted(), "bp", measured_right)


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess="no" if measured_right == "yes" else "yes")
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- Your own data ----------------------------------------------------------------------------------
THREE_CLASSES = "x1,x2,label\n" + "\n".join(f"{i % 7},{i % 5},{i % 3}" for i in range(30)) + "\n"


def test_an_uploaded_file_trains_the_tiny_network_on_its_points_and_the_walk_through_stays():
    from dlcore.labs import backprop as bp

    at = linked_at(PAGE, {"steps": "100"})
    graph = figure(at, "Computational graph — step 0 of 23")
    run = trains_on_uploaded_points(
        at, "bp", trained_on=lambda run: np.array(run.trainers["tiny net"].x),
        # the file's training split (75 %, as the XOR set's), standardised to span [-1, 1] on each axis
        expected=lambda data: data.to_dataset(bp.TRAIN_DATA).x_train.double().numpy(),
        curve=lambda run: run.trainers["tiny net"].losses, info="trains on your file")
    trainer = run.trainers["tiny net"]
    assert len(trainer.x) == len(trainer.y) == 90 and sorted(set(trainer.y)) == [0.0, 1.0]  # 120 − 30 held out
    assert np.abs(np.array(trainer.x)).max() == 1.0
    assert any("from 90 of your file's points" in c.value for c in at.caption)
    assert "Train it: gradient descent on your data" in [h.value for h in at.subheader]
    assert figure(at, "Computational graph — step 0 of 23") == graph  # the one example x₁, x₂, y


def test_a_file_of_three_classes_is_refused_with_one_sentence():
    at = linked_at(PAGE, {"steps": "100"})
    builtin = at.session_state["bp.run"].config_hash
    upload_csv(at, "bp", "three.csv", THREE_CLASSES)
    errors = [e.value for e in at.error]
    assert errors == ["This file can't be used: its labels name 3 classes (0, 1, 2); the tiny network has one "
                      "output, so it separates exactly two classes: keep the examples of two of them."]
    assert not at.success and at.session_state["bp.run"].config_hash == builtin


def test_predict_holds_the_run_on_an_upload_then_checks_the_answer_against_it():
    from dlcore.labs import backprop as bp
    from dlcore.upload import sample_csv

    content = sample_csv("circle", 120, seed=1)
    mine = bp.ScalarTrainer(bp.BACKPROP_NET, replace(bp.BACKPROP_TRAIN, steps=100),
                            bp.TrainingPoints(upload=bp.parse_two_classes(content))).run()
    right = "yes" if mine.train_accuracy() >= 0.9 else "no"
    at = upload_csv(predicted_at(PAGE, {"predict": "1", "steps": "100"}), "bp", "circle.csv", content)
    assert any("separate the two classes of your file" in s.label for s in at.selectbox)
    assert any("Answer (or skip) to start training" in i.value for i in at.info)
    assert at.session_state["bp.run"].step == 0
    at.selectbox(key="bp.guess").select(right).run()
    assert not at.exception and at.session_state["bp.run"].done
    assert at.session_state["bp.run"].trainers["tiny net"].losses == mine.losses  # the run on the file
    assert [s.icon for s in at.success if s.icon] == ["✅"], [s.value for s in at.success]


# --- A classroom: the same link trains one run ------------------------------------------------------
CLASS_LINK = {"steps": "100", "seed": "21"}  # the fewest steps the page offers


def test_the_same_link_draws_one_finished_run_and_another_seed_trains_its_own():
    shares_one_finished_run(PAGE, "bp", CLASS_LINK, score=lambda run: run.trainers["tiny net"].losses[-1])


def test_a_student_follows_the_run_another_session_trains_then_takes_over(monkeypatch):
    follows_then_takes_over(PAGE, CLASS_LINK, monkeypatch)


def test_the_walk_through_example_is_not_part_of_the_trained_run():
    """x₁, x₂ and y are the walk-through's one example; training never sees them. Moving them keeps the
    run (no retraining, the class's shared one); the network's settings make another run."""
    at = linked_at(PAGE, CLASS_LINK)
    run = at.session_state["bp.run"]
    at.slider(key="bp.x1").set_value(-1.5)
    at.slider(key="bp.y").set_value(0.0).run()
    assert not at.exception and at.session_state["bp.run"] is run
    at.select_slider(key="bp.hidden").set_value(3).run()
    assert not at.exception and at.session_state["bp.run"].config_hash != run.config_hash
