"""AppTest: the Optimizers page with its defaults, and widgets that change what is drawn."""


import numpy as np
import pytest

from tests.support.helpers import app_at, figure, holds_then_right, predicted_at, values

PAGE = "pages/optimizers.py"




def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name", "").startswith(name))


def test_defaults_draw_every_chart_with_real_data():
    at = app_at(PAGE)
    assert not at.exception and not at.error
    surface = figure(at, "Ill-conditioned quadratic")
    assert len(surface["frames"]) > 10 and surface["layout"]["images"]
    sgd = trace(surface, "SGD")
    assert len(values(sgd["x"])) == 101  # the start and 100 steps
    for title in ("Inside Adam", "Adam's step |Δθ|", "Loss: train", "Accuracy: train", "Learning-rate schedule",
                  "per-weight steps"):
        fig = figure(at, title)
        assert fig["data"], title
    acc = figure(at, "Accuracy: train")
    assert values(trace(acc, "Adam — validation")["y"])[-1] > 0.9
    assert not at.warning


def test_a_huge_sgd_lr_is_reported_as_divergence_and_keeps_the_axes():
    at = app_at(PAGE)
    at.select_slider(key="opt.quadratic_sgd").set_value(10.0).run()
    assert not at.exception
    assert any("SGD" in w.value and "diverged at step" in w.value for w in at.warning)
    surface = figure(at, "Ill-conditioned quadratic")
    assert surface["layout"]["xaxis"]["range"] == [-4.0, 4.0]
    assert trace(surface, "SGD (diverged)")


def test_moving_the_start_changes_the_paths_and_a_schedule_changes_the_run():
    at = app_at(PAGE)
    first = values(trace(figure(at, "Ill-conditioned quadratic"), "Adam")["y"])
    losses = values(trace(figure(at, "Loss: train"), "SGD — train")["y"])
    at.slider(key="opt.quadratic_y0").set_value(-0.5).run()
    assert not at.exception
    moved = values(trace(figure(at, "Ill-conditioned quadratic"), "Adam")["y"])
    assert moved[0] == -0.5 and first[0] == 1.0
    at.selectbox(key="opt.schedule").select("step").run()
    assert not at.exception
    assert "step" in figure(at, "Learning-rate schedule")["layout"]["title"]["text"]
    stepped = values(trace(figure(at, "Loss: train"), "SGD — train")["y"])
    assert stepped.shape == losses.shape and not np.allclose(stepped, losses)


def test_switching_surface_and_dropping_optimizers():
    at = app_at(PAGE)
    at.selectbox(key="opt.surface").select("saddle").run()
    assert not at.exception
    fig = figure(at, "Saddle point")
    assert values(trace(fig, "SGD")["x"])[0] == -1.8
    at.multiselect(key="opt.opts").set_value(["sgd", "momentum"]).run()
    assert not at.exception and not at.error
    names = {t.get("name") for t in figure(at, "Loss: train")["data"]}
    assert not any("Adam" in n for n in names)
    assert any("Adam or AdamW" in i.value for i in at.info)


def test_adagrad_is_selectable_and_drawn_on_the_surface_and_the_digits():
    at = app_at(PAGE)
    assert not at.exception
    assert "adagrad" in at.multiselect(key="opt.opts").value
    assert trace(figure(at, "Ill-conditioned quadratic"), "Adagrad")
    assert values(trace(figure(at, "Accuracy: train"), "Adagrad — validation")["y"])[-1] > 0.9
    at.multiselect(key="opt.opts").set_value(["sgd", "adagrad"]).run()
    assert not at.exception
    names = {t.get("name") for t in figure(at, "Loss: train")["data"]}
    assert any(n.startswith("Adagrad") for n in names) and not any("Adam" in n for n in names)


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100"}


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    """Each optimizer's final training loss on the digits in the lab's own run (the link's settings)."""
    from dataclasses import replace

    from dlcore.experiments import Comparison
    from dlcore.labs import optimizers as opt

    base = opt.OPTIMIZERS
    runs = Comparison(base.data, base.model, replace(base.train, steps=100), opt.variants(opt.OPTIMIZER_LRS)).trainers()
    return {k: t.run().recorder.records[-1].train_loss for k, t in runs.items()}


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured):
    holds_then_right(predicted(), "opt", min(measured, key=measured.get))


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured):
    at = predicted(guess=max(measured, key=measured.get))
    assert any(w.icon == "❌" for w in at.warning) and not at.success
