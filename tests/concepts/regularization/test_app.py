"""AppTest of the Regularization page."""

from tests.support.helpers import app_at, figure, values

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
