"""AppTest of the Convolutional networks page: defaults draw every chart with real data; widgets change
what is drawn; a huge learning rate shows divergence; settings come from the link."""

import numpy as np
import pytest

from dlcore.labs import cnn as lab
from tests.support.helpers import (
    app_at,
    figure,
    figures,
    holds_then_right,
    predicted_at,
    shares_one_finished_run,
    values,
)

PAGE = "pages/cnn.py"
TITLES = ("Loss: train", "Accuracy on shifted digits", "Gradient norm", "Activation std", "Equivariance of the",
          "First-layer filters", "Feature maps", "Receptive field")


def bars(fig) -> dict[str, np.ndarray]:
    return {trace["name"]: values(trace["y"]) for trace in fig["data"]}


def table(at, column_part):
    for df in at.dataframe:
        for column in df.value.columns:
            if column_part in column:
                return list(df.value[column])
    raise AssertionError(f"no table with a column '…{column_part}…'")


def test_defaults_draw_every_chart_and_the_cnn_keeps_its_accuracy_when_digits_move():
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for title in TITLES:
        assert figure(at, title)["data"], title
    acc = bars(figure(at, "Accuracy on shifted digits"))
    assert set(acc) == {"MLP", "CNN"}
    assert acc["MLP"][0] - acc["MLP"][2] > 0.3 and abs(acc["CNN"][0] - acc["CNN"][2]) <= 0.05
    assert len(figure(at, "First-layer filters")["data"]) == 8  # 8 filters of 3×3
    assert values(figure(at, "First-layer filters")["data"][0]["z"]).shape == (3, 3)
    assert table(at, "output ⌊") == table(at, "output, measured") == [14, 14]
    assert table(at, "conv weights") == ["72", "1,152"]
    assert any("**0.0e+00**" in c.value for c in at.caption), "the interior equivariance error should be 0"


def test_the_head_and_the_kernel_change_what_is_drawn():
    at = app_at(PAGE)
    at.selectbox(key="cnn.head").select("flatten")
    at.select_slider(key="cnn.k").set_value(5)
    at.select_slider(key="cnn.steps").set_value(100).run()
    assert not at.exception and not at.error
    acc = bars(figure(at, "Accuracy on shifted digits"))
    assert acc["CNN"][0] - acc["CNN"][2] > 0.3  # a flatten head is not invariant
    assert values(figure(at, "First-layer filters")["data"][0]["z"]).shape == (5, 5)
    assert "5×5" in figure(at, "First-layer filters")["layout"]["title"]["text"]
    assert table(at, "receptive field") == ["5×5", "9×9"]


def test_stride_two_explains_instead_of_measuring_equivariance_and_the_table_follows():
    at = app_at(PAGE)
    at.slider(key="cnn.stride").set_value(2)
    at.select_slider(key="cnn.steps").set_value(100).run()
    assert not at.exception and not at.error
    assert any("multiples of the stride" in i.value for i in at.info)
    assert table(at, "output, measured") == [7, 4]
    assert all("Equivariance of the" not in f["layout"]["title"]["text"] for f in figures(at))


def test_a_setting_that_shrinks_the_image_to_nothing_is_a_sentence():
    at = app_at(PAGE)
    at.select_slider(key="cnn.k").set_value(5)
    at.selectbox(key="cnn.pad").select("valid")
    at.slider(key="cnn.stride").set_value(2)
    at.slider(key="cnn.depth").set_value(3).run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith("These settings can't run:")
    assert "shrinks to nothing" in at.error[0].value


def test_a_huge_learning_rate_diverges_with_a_message():
    at = app_at(PAGE)
    at.select_slider(key="cnn.lr").set_value(10.0)
    at.select_slider(key="cnn.steps").set_value(100).run()
    assert not at.exception
    assert any("diverged at step" in w.value for w in at.warning)


def test_settings_come_from_the_link():
    at = app_at()
    at.query_params.update({"head": "pool", "ch": "4", "depth": "1", "steps": "100", "seed": "3"})
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="cnn.head").value == "pool"
    assert at.number_input(key="cnn.seed").value == 3
    assert len(figure(at, "First-layer filters")["data"]) == 4
    assert table(at, "output, measured") == [14]


# --- Predict, then reveal -------------------------------------------------------------------------
PREDICT = {"predict": "1", "steps": "100"}


@pytest.fixture(scope="module")
def measured_right() -> str:
    """The network the lab's own run (the link's settings) measures as more accurate on 2-pixel shifts."""
    runs = lab.experiment(steps=100).trainers()
    acc = {name: lab.shift_accuracy(t.run())[2] for name, t in runs.items()}
    return max(acc, key=acc.get)


def predicted(guess: str | None = None):
    return predicted_at(PAGE, PREDICT, guess)


def test_predict_holds_the_run_at_step_0_then_a_right_answer_is_right(measured_right):
    holds_then_right(predicted(), "cnn", measured_right)


def test_predict_a_wrong_answer_from_the_link_is_not_this_time(measured_right):
    at = predicted(guess=next(n for n in ("CNN", "MLP") if n != measured_right))
    assert any(w.icon == "❌" for w in at.warning) and not at.success


# --- A classroom: the same link shares one finished run ---------------------------------------------
def test_the_same_link_draws_one_finished_run_and_another_seed_trains_its_own():
    shares_one_finished_run(PAGE, "cnn", {"steps": "100", "seed": "21"},
                            score=lambda run: run.trainers["CNN"].recorder.records[-1].val_loss)
