"""AppTest of the Representation learning page: defaults draw every chart with real data; the
controls change what is drawn; a huge learning rate diverges with a message; the link sets it up."""

import pytest

from tests.support.helpers import (
    app_at,
    figure,
    follows_then_takes_over,
    holds_then_right,
    predicted_at,
    shares_one_finished_run,
    values,
)

PAGE = "pages/representation.py"
TITLES = ("principal components", "5-NN accuracy", "2-D view", "Linear probe per layer",
          "First layer's weights", "Transfer to digits 5–9")


def panel_titles(fig):
    return [a["text"] for a in fig["layout"]["annotations"]]


def test_defaults_draw_every_chart_with_real_data():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for title in TITLES:
        assert figure(at, title)["data"], title
    views = figure(at, "principal components")
    assert panel_titles(views) == [f"{n} — {s}" for s in ("step 0", "step 400")
                                   for n in ("pixels", "layer 1", "layer 2", "layer 3")]
    assert len(views["data"]) == 2 * 4 * 10  # rows × depths × digits
    probe = figure(at, "Linear probe per layer")["data"]
    trained = values(probe[1]["y"])
    assert probe[1]["name"] == "trained network" and all(trained[1:] > trained[:-1])
    knn = figure(at, "5-NN accuracy")["data"]
    assert [t["name"] for t in knn] == ["pixels", "layer 1", "layer 2", "layer 3"]
    assert len(values(knn[1]["y"])) == 21  # a snapshot every 20 steps, and step 0
    transfer = figure(at, "Transfer to digits 5–9")["data"]
    assert [t["name"] for t in transfer] == ["source network trained on digits 0–4",
                                             "source network trained on all ten digits"]


def test_depth_width_and_transfer_labels_change_what_is_drawn():
    at = app_at(PAGE)
    at.slider(key="rep.depth").set_value(2)
    at.select_slider(key="rep.width").set_value(8)
    at.select_slider(key="rep.steps").set_value(100)
    at.select_slider(key="rep.few").set_value(1).run()
    assert not at.exception and not at.error
    assert panel_titles(figure(at, "principal components"))[:3] == ["pixels — step 0", "layer 1 — step 0",
                                                                     "layer 2 — step 0"]
    assert list(figure(at, "Linear probe per layer")["data"][0]["x"]) == ["pixels", "layer 1", "layer 2"]
    weights = figure(at, "First layer's weights")
    assert "8 units" in weights["layout"]["title"]["text"]
    assert values(weights["data"][0]["z"]).shape == (17, 35)  # 2 rows × 4 units of 8 px + 1 px gaps
    assert "with 1 labelled image(s) per digit" in figure(at, "Transfer to digits")["layout"]["title"]["text"]


def test_a_huge_learning_rate_diverges_with_a_message_and_no_probe():
    at = app_at(PAGE)
    at.select_slider(key="rep.lr").set_value(10.0).run()
    assert not at.exception
    assert any("diverged" in w.value for w in at.warning)
    assert any("diverged" in i.value for i in at.info)


def test_settings_come_from_the_link_and_go_back_into_it():
    at = app_at()
    at.query_params["depth"] = "1"
    at.query_params["steps"] = "100"
    at.query_params["probe"] = "1258"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.slider(key="rep.depth").value == 1 and at.select_slider(key="rep.probe").value == 1258
    assert "1258 labels" in figure(at, "Linear probe per layer")["layout"]["title"]["text"]
    assert at.query_params["width"] in ("32", ["32"])


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100"}


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    """Each depth's linear-probe accuracy after the lab's own run (the link's settings)."""
    from dataclasses import replace

    from dlcore.labs import representation as rp

    net = rp.RepresentationRun(replace(rp.REPRESENTATION, steps=100, snapshot_every=5), "cpu")
    net.advance(100)
    result = rp.probe_layers(net)
    return dict(zip(result.names, result.after))


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured):
    holds_then_right(predicted(), "rep", max(measured, key=measured.get))


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured):
    at = predicted(guess=min(measured, key=measured.get))
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- A classroom: the same link trains one run ------------------------------------------------------
CLASS_LINK = {"steps": "100", "seed": "21"}  # the fewest steps the page offers


def test_the_same_link_draws_one_finished_run_and_another_seed_trains_its_own():
    shares_one_finished_run(PAGE, "rep", CLASS_LINK,
                            score=lambda run: run.trainers["network"].recorder.records[-1].val_loss)


def test_a_student_follows_the_run_another_session_trains_then_takes_over(monkeypatch):
    follows_then_takes_over(PAGE, CLASS_LINK, monkeypatch)
