"""AppTest of the Mini-batch training page."""

from tests.support.helpers import app_at, figure, values

PAGE = "pages/minibatch.py"


def test_defaults_draw_noise_and_four_runs():
    at = app_at(PAGE)
    noise = figure(at, "Relative error of the mini-batch gradient")
    measured, predicted = (values(t["y"]) for t in noise["data"])
    assert len(measured) == 9 and measured[0] > 5 * measured[-1]
    assert len(figure(at, "Loss: train")["data"]) == 8
    assert "step 300 / 300" in at.get("progress")[0].proto.text


def test_epoch_axis_and_batch_choice_change_the_charts():
    at = app_at(PAGE)
    at.toggle(key="mb.per_epoch").set_value(True).run()
    loss = figure(at, "Loss: train")
    assert loss["layout"]["xaxis"]["title"]["text"].startswith("epoch")
    full_batch_x = values(loss["data"][-1]["x"])
    assert full_batch_x.max() > 100  # 300 full-batch steps = 300 epochs
    at.multiselect(key="mb.sizes").set_value(["8", "full"]).run()
    assert not at.exception
    assert {t["name"] for t in figure(at, "Loss: train")["data"]} >= {"B = 8 — train", "full batch — validation"}
