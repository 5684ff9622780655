"""AppTest of the Normalization page."""

from tests.support.helpers import app_at, figure, figures, values

PAGE = "pages/normalization.py"


def test_defaults_draw_the_matrices_and_three_runs():
    at = app_at(PAGE)
    assert figure(at, "BatchNorm: each column")["data"]
    assert len(figure(at, "Loss: train")["data"]) == 6
    assert "step 300 / 300" in at.get("progress")[0].proto.text


def test_initialization_change_redraws_the_layer_scales():
    at = app_at(PAGE)
    at.selectbox(key="norm.act").select("tanh").run()
    before = [values(t["y"]) for t in figure(at, "Activation std per layer")["data"]]
    at.selectbox(key="norm.init").select("small_normal").run()
    assert not at.exception
    plain, batch, layer = [values(t["y"]) for t in figure(at, "Activation std per layer")["data"]]
    middle = slice(2, 6)  # deep inside the network the plain net's signal has all but vanished
    assert plain[middle].max() < 1e-3 * min(batch[middle].min(), layer[middle].min())
    assert plain[middle].max() < before[0][middle].min() / 100


def test_the_sweep_runs_on_demand():
    at = app_at(PAGE)
    n = len(figures(at))
    at.button(key="norm.sweep").click().run()
    assert not at.exception
    assert len(figures(at)) == n + 1
    assert len(figure(at, "Final validation loss against learning rate")["data"]) == 3
