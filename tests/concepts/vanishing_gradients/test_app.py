"""AppTest: the Vanishing & exploding gradients page with its defaults, and widgets that change it."""


import numpy as np
import pytest

from dlcore.labs import vanishing_gradients as vg
from tests.support.helpers import (
    app_at,
    figure,
    figures,
    linked_at,
    predicted_at,
    trains_on_uploads,
    upload_csv,
    values,
)

PAGE = "pages/vanishing_gradients.py"
HEATMAP = "log₁₀ gradient norm per layer"




def heatmap_z(fig: dict) -> np.ndarray:
    return values(fig["data"][0]["z"])  # (layers, steps)


def test_defaults_draw_the_heatmap_and_per_layer_charts():
    at = app_at(PAGE)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    z = heatmap_z(figure(at, f"{HEATMAP} — your network"))
    assert z.shape == (11, 31)  # 10 hidden layers + output, steps 0, 10, …, 300
    assert z[-2, 0] - z[0, 0] > 5  # layer 10 vs layer 1 at step 0: the vanishing gap
    for title in ("Gradient norm ‖∂L/∂W‖ per layer", "Gradient norm over training", "Loss"):
        assert figure(at, title)["data"]
    ratio = figure(at, "Update-to-weight ratio")
    assert [s["y0"] for s in ratio["layout"]["shapes"]] == [1e-3]  # the rule-of-thumb line
    assert "(step 300)" in ratio["data"][0]["name"]
    assert any("layer 1 gets 10^-" in c.value for c in at.caption)
    assert all(fig["data"] for fig in figures(at))


def test_relu_with_he_closes_the_gap_on_the_heatmap_and_the_step_slider_moves_the_profile():
    at = app_at(PAGE)
    sigmoid = heatmap_z(figure(at, HEATMAP))
    at.selectbox(key="vg.act").select("relu").run()
    assert not at.exception
    relu = heatmap_z(figure(at, HEATMAP))
    assert abs(relu[-2, 0] - relu[0, 0]) < 1.5 < sigmoid[-2, 0] - sigmoid[0, 0]
    at.slider(key="vg.at").set_value(0).run()
    assert not at.exception
    assert "(step 0)" in figure(at, "Gradient norm ‖∂L/∂W‖ per layer")["data"][0]["name"]
    assert at.query_params["act"] in ("relu", ["relu"]) and at.query_params["at"] in ("0", ["0"])


def test_exploding_demo_diverges_without_clipping_and_trains_with_it():
    at = app_at(PAGE)
    at.button(key="vg.explode").click().run()
    assert not at.exception
    assert at.selectbox(key="vg.init").value == "large_normal" and at.toggle(key="vg.clip").value
    plain, clipped = heatmap_z(figure(at, f"{HEATMAP} — no clipping")), heatmap_z(figure(at, f"{HEATMAP} — clipped"))
    assert plain.shape[1] == 1 and clipped.shape[1] == 31  # the plain run blew up before step 10
    assert any("no clipping** diverged at step" in w.value for w in at.warning)
    norms = figure(at, "Gradient norm over training")
    assert [t["name"] for t in norms["data"]] == ["no clipping", "clipped at 1"]
    assert [s["y0"] for s in norms["layout"]["shapes"]] == [1.0]  # the clip threshold
    at.button(key="vg.vanish").click().run()
    assert not at.exception and not at.warning
    assert len([f for f in figures(at) if HEATMAP in f["layout"]["title"]["text"]]) == 1


def test_the_weight_scale_slider_reaches_the_regime_where_sigmoid_does_not_vanish():
    at = app_at(PAGE)
    sweep = figure(at, "Gradient lost vs weight scale")
    plain = values(sweep["data"][0]["y"])
    assert plain[1] > 10 and abs(plain[list(values(sweep["data"][0]["x"])).index(16.0)]) < 1
    at.slider(key="vg.s").set_value(16.0).run()
    assert not at.exception
    assert any("At s = 16: layer 1 gets 10^" in c.value for c in at.caption)
    norms = values(figure(at, "Gradient norm per layer at initialization")["data"][0]["y"])
    assert abs(np.log10(norms[0] / norms[-2])) < 1
    assert at.query_params["s"] in ("16", ["16"])


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100"}


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    """Every layer's gradient norm at step 0 of the lab's own run (the link's settings)."""
    from dataclasses import replace

    from dlcore.labs import vanishing_gradients as vg

    base = vg.VANISHING_GRADIENTS
    trainer = next(iter(vg.with_and_without_clipping(base.data, base.model, replace(base.train, steps=100))
                        .trainers().values()))
    trainer.advance(1)
    return {layer.name: layer.grad_norm for layer in trainer.recorder.records[0].layers}


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured):
    at = predicted()
    assert any("Answer (or skip) to start training" in i.value for i in at.info)
    assert at.session_state["vg.run"].step == 0
    assert not any("gradient norm per layer" in f["layout"]["title"]["text"] for f in figures(at))  # no give-away
    at.selectbox(key="vg.guess").select(min(measured, key=measured.get)).run()
    assert not at.exception and at.session_state["vg.run"].done
    assert [s.icon for s in at.success] == ["✅"] and not any(w.icon == "❌" for w in at.warning)
    assert figure(at, "gradient norm per layer")["data"]


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured):
    at = predicted(guess=max(measured, key=measured.get))
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- Your own data --------------------------------------------------------------------------------
def test_an_uploaded_file_trains_both_runs_and_the_heatmap_shows_them():
    at = linked_at(PAGE, {"steps": "100", "clip": "1"})
    run = trains_on_uploads(at, "vg")
    assert list(run.trainers) == ["no clipping", "clipped at 1"]
    z = heatmap_z(figure(at, f"{HEATMAP} — no clipping"))
    assert z.shape == (11, 11)  # 10 hidden layers + output, steps 0, 10, …, 100
    first = run.trainers["no clipping"].recorder.records[0]  # step 0, on the file's first mini-batch
    assert np.allclose(z[:, 0], vg.safe_log10([layer.grad_norm for layer in first.layers]))


def test_a_table_of_features_trains_the_deep_network_too():
    from dlcore.upload import sample_csv

    at = linked_at(PAGE, {"steps": "100"})
    at.radio(key="vg.upload.form").set_value("tabular").run()
    upload_csv(at, "vg", "digits.csv", sample_csv("digits", 200, seed=1))
    assert not at.error, [e.value for e in at.error]
    assert "200 examples, 64 features, 10 classes" in at.success[0].value
    trainer = at.session_state["vg.run"].trainers["your network"]
    assert trainer.dataset.n_features == 64 and trainer.model.blocks[0].linear.in_features == 64
    assert len(trainer.dataset.y_train) == 140 and trainer.done
    assert heatmap_z(figure(at, HEATMAP)).shape == (11, 11)
