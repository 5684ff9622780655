"""AppTest of the Loss functions page."""

from tests.support.helpers import app_at, figure, values

PAGE = "pages/losses.py"


def test_defaults_fit_three_lines_and_draw_the_classification_charts():
    at = app_at(PAGE)
    fit = figure(at, "Fitted lines after 300 steps")
    names = [t["name"] for t in fit["data"]]
    assert names[0] == "data" and any(n.startswith("MSE: slope") for n in names)
    assert figure(at, "Gradient ∂loss/∂z")["data"] and figure(at, "Focal loss")["data"]
    assert len(at.metric) == 3


def test_removing_the_outliers_brings_the_lines_together():
    at = app_at(PAGE)
    at.slider(key="loss.outliers").set_value(0).run()
    assert not at.exception
    slopes = [float(t["name"].split("slope ")[1]) for t in figure(at, "Fitted lines")["data"][2:]]
    assert max(slopes) - min(slopes) < 0.1


def test_huber_delta_changes_the_gradient_curve():
    at = app_at(PAGE)
    before = values(figure(at, "Its gradient")["data"][2]["y"]).max()
    at.select_slider(key="loss.delta").set_value(4.0).run()
    after = values(figure(at, "Its gradient")["data"][2]["y"]).max()
    assert before == 1.0 and after == 4.0
