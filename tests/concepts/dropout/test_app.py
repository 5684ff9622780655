"""AppTest of the Dropout page: defaults draw every chart; widgets change what is drawn."""



from tests.support.helpers import app_at, figure, values

PAGE = "pages/dropout.py"
TITLES = ("Loss: train", "Generalization gap", "Decision boundary", "keep-mask", "train vs eval mode",
          "agree in expectation", "dropout left on")




def names(fig):
    return [trace.get("name") for trace in fig["data"]]


def test_defaults_draw_every_chart_and_the_run_to_look_inside_changes_the_masks():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for title in TITLES:
        assert figure(at, title)["data"], title
    assert names(figure(at, "Generalization gap")) == ["p = 0", "p = 0.2", "p = 0.5"]
    mask = figure(at, "keep-mask")
    assert mask["layout"]["title"]["text"].startswith("p = 0.5")

    at.selectbox(key="do.inside").select("p = 0.2").run()
    assert not at.exception
    mask_02 = figure(at, "keep-mask")
    assert mask_02["layout"]["title"]["text"].startswith("p = 0.2")
    kept = [values(fig["data"][0]["z"]).mean() for fig in (mask, mask_02)]
    assert abs(kept[0] - 0.5) < 0.1 and abs(kept[1] - 0.8) < 0.1, kept
    assert "(p = 0.2)" in figure(at, "train vs eval mode")["layout"]["title"]["text"]


def test_changing_rates_retrains_and_a_huge_learning_rate_diverges_with_a_message():
    at = app_at(PAGE)
    at.multiselect(key="do.p").set_value(["0", "0.7"])
    at.select_slider(key="do.steps").set_value(100).run()
    assert not at.exception
    assert names(figure(at, "Generalization gap")) == ["p = 0", "p = 0.7"]
    assert figure(at, "keep-mask")["layout"]["title"]["text"].startswith("p = 0.7")

    at.select_slider(key="do.lr").set_value(10.0).run()
    assert not at.exception
    assert any("diverged" in w.value for w in at.warning)


def test_no_rate_above_zero_explains_instead_of_drawing_masks():
    at = app_at(PAGE)
    at.multiselect(key="do.p").set_value(["0"])
    at.select_slider(key="do.steps").set_value(100).run()
    assert not at.exception
    assert any("rate above 0" in i.value for i in at.info)
