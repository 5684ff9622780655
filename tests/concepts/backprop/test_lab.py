"""Unit tests of dlcore.backprop: the scalar engine against formulas and autograd, configs, trainer."""

import math
import re
from dataclasses import replace

import pytest
import torch

from dlcore.config import TrainConfig
from dlcore.labs import backprop as bp


def test_value_used_twice_gets_both_gradients():
    # L = x·w + x·w' with one x: ∂L/∂x = w + w' (contributions add, as in micrograd's `+=`)
    x, w1, w2 = bp.Value(3.0, "x"), bp.Value(2.0, "w"), bp.Value(-5.0, "v")
    z = bp.weighted_sum([(w1, x), (w2, x)], bp.Value(0.5, "b"), "z")
    bp.backward(z)
    assert z.data == 3 * 2 - 5 * 3 + 0.5
    assert x.grad == 2.0 + -5.0 and w1.grad == 3.0 and w2.grad == 3.0


@pytest.mark.parametrize("name,z", [("sigmoid", 0.3), ("tanh", -1.2), ("relu", 0.7), ("relu", -0.7)])
def test_activation_slopes_match_autograd(name, z):
    h, slope, _ = bp.activation_and_slope(name, z)
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    out = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[name](t)
    out.backward()
    assert h == pytest.approx(out.item(), abs=1e-15) and slope == pytest.approx(t.grad.item(), abs=1e-15)


def test_stable_sigmoid_and_softplus_never_overflow():
    assert bp.sigmoid(1e6) == 1.0 and bp.sigmoid(-1e6) == 0.0
    assert bp.softplus(1e6) == 1e6 and bp.softplus(-1e6) == 0.0
    assert bp.softplus(0.0) == pytest.approx(math.log(2))


def test_bce_loss_matches_torch_for_extreme_logits():
    for o in (-50.0, -3.0, 0.0, 2.5, 60.0):
        for y in (0.0, 0.3, 1.0):
            mine = bp.loss_of(bp.Value(o, "o"), y, "bce").data
            ref = torch.nn.functional.binary_cross_entropy_with_logits(
                torch.tensor(o, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)).item()
            assert mine == pytest.approx(ref, rel=1e-12, abs=1e-12)


def test_topological_order_puts_parents_first_and_each_node_once():
    f = bp.forward(bp.TinyNetConfig(hidden=3))
    order = bp.topological_order(f.loss)
    pos = {id(n): i for i, n in enumerate(order)}
    assert len(pos) == len(order) == len(f.nodes)
    assert all(pos[id(p)] < pos[id(n)] for n in order for p in n.parents)


def test_init_params_is_seeded_and_independent_of_global_rng():
    torch.manual_seed(123)
    a = bp.init_params(bp.TinyNetConfig(seed=4))
    torch.manual_seed(999)
    b = bp.init_params(bp.TinyNetConfig(seed=4))
    assert a == b and a != bp.init_params(bp.TinyNetConfig(seed=5))
    assert list(a) == ["w₁₁", "w₁₂", "b₁", "w₂₁", "w₂₂", "b₂", "v₁", "v₂", "c"]


@pytest.mark.parametrize("kwargs,words", [
    ({"activation": "gelu"}, "hidden activation"),
    ({"loss": "hinge"}, "loss must be one of"),
    ({"hidden": 0}, "hidden units"),
    ({"x1": 50.0}, "input x₁"),
    ({"loss": "bce", "target": 1.5}, "probability"),
])
def test_bad_config_raises_a_readable_value_error(kwargs, words):
    with pytest.raises(ValueError, match=words):
        bp.TinyNetConfig(**kwargs)


def test_trainer_rejects_other_optimizers():
    with pytest.raises(ValueError, match="plain gradient descent"):
        bp.ScalarTrainer(bp.TinyNetConfig(), TrainConfig(optimizer="adam"))


def test_walkthrough_writes_the_chain_rule_with_numbers():
    walk = bp.walkthrough(bp.TinyNetConfig())
    phases = [v.phase for v in walk.visits]
    assert phases[0] == "start" and phases.count("forward") == 6 and phases.count("backward") == 17
    w11 = next(v for v in walk.visits if v.phase == "backward" and v.node == "w₁₁")
    g = walk.forward.nodes["w₁₁"].grad
    assert "∂L/∂z₁ · ∂z₁/∂w₁₁" in w11.equation and w11.local == "∂z₁/∂w₁₁ = x₁"
    assert w11.chain.startswith("∂L/∂w₁₁ = ∂L/∂o · ∂o/∂h₁ · ∂h₁/∂z₁ · ∂z₁/∂w₁₁ = ")
    assert f"{g:.3g}".replace("-", "−") in w11.chain
    x1 = next(v for v in walk.visits if v.node == "x₁")
    assert x1.equation.count(" + ") == 2 and x1.chain == ""  # two paths: a sum (symbols, numbers)


def test_trainer_records_every_step_and_its_update_rule():
    train = replace(bp.BACKPROP_TRAIN, steps=5, lr=0.1)
    t = bp.ScalarTrainer(bp.TinyNetConfig(), train).run()
    s = t.series()
    assert t.status == "finished" and s["loss"].shape == (5,) and s["grads"].shape == (5, 9)
    assert s["values"].shape == (6, 9)
    assert s["values"][1:] == pytest.approx(s["values"][:-1] - 0.1 * s["grads"], abs=1e-12)


def test_autograd_graph_lists_every_parameter_as_a_leaf():
    rows = bp.autograd_graph(bp.TinyNetConfig(loss="bce"))
    assert rows[0] == (0, "BinaryCrossEntropyWithLogitsBackward0")
    leaves = {label.split("(")[1].rstrip(")") for _, label in rows if label.startswith("AccumulateGrad")}
    assert leaves == set(bp.param_names(2))


# --- Your own data ----------------------------------------------------------------------------------
@pytest.mark.parametrize("activation, loss", [("sigmoid", "mse"), ("tanh", "bce"), ("relu", "mse"), ("relu", "bce")])
def test_training_accuracy_with_arrays_counts_what_the_scalar_engine_counts(activation, loss):
    net = bp.TinyNetConfig(hidden=3, activation=activation, loss=loss, seed=1)
    t = bp.ScalarTrainer(net, replace(bp.BACKPROP_TRAIN, steps=40)).run()
    p, threshold = bp._param_values(t.params, net.hidden), 0.5 if loss == "mse" else 0.0
    outputs = [bp._build_example(p, x1, x2, y, net, xs_named=False)[1][-2].data for (x1, x2), y in zip(t.x, t.y)]
    right = sum((o > threshold) == (y == 1.0) for o, y in zip(outputs, t.y))
    assert 0 < right < len(t.y)  # a run with points on both sides: the count is not trivially all or none
    assert t.train_accuracy() == right / len(t.y)


def test_files_of_more_than_two_classes_are_refused_for_the_one_output_network():
    from dlcore.upload import parse_csv

    three = "x1,x2,label\n" + "\n".join(f"{i % 7},{i % 5},{i % 3}" for i in range(30))
    with pytest.raises(ValueError, match=r"^its labels name 3 classes \(0, 1, 2\); the tiny network has one output"):
        bp.parse_two_classes(three)
    with pytest.raises(ValueError, match="separates exactly two classes"):
        bp.TrainingPoints(upload=parse_csv(three, "2d"))  # the config refuses it too, whoever parsed it
    two = bp.parse_two_classes(re.sub(r",2$", ",1", three, flags=re.M))
    assert two.n_classes == 2 and bp.TrainingPoints(upload=two).dataset().y_train.unique().tolist() == [0, 1]


def test_a_copy_of_a_snapshot_trains_on_to_exactly_the_uninterrupted_run():
    """Shared by a classroom (ui.results): a snapshot is a copy that stepping the run never changes;
    a trainable copy of it trains on to the same numbers as the run trained in one go."""
    train = replace(bp.BACKPROP_TRAIN, steps=60, batch_size=8)
    whole = bp.ScalarTrainer(bp.TinyNetConfig(), train).run()
    leader = bp.ScalarTrainer(bp.TinyNetConfig(), train)
    leader.advance(23)
    snap = leader.snapshot()
    leader.advance(5)
    assert snap.step == 23 and len(snap.rows()) == 23 and snap.params != leader.params
    own = snap.trainable_copy().run()
    assert repr(own.rows()) == repr(whole.rows()) and own.params == whole.params
    assert snap.x is leader.x and snap.dataset is leader.dataset  # the points are shared, not copied
