"""Claim tests for the Activation functions page: each test is the experiment behind one
sentence that the page (assets/pages/activations.md) teaches."""

from dataclasses import replace

import pytest
import torch

from dlcore import ModelConfig
from dlcore.experiments import Comparison, run_all
from dlcore.labs.activations import ACTIVATIONS
from dlcore.layers.activations import curve_and_derivative, softmax
from dlcore.models import MLP

X = torch.linspace(-8, 8, 16001, dtype=torch.float64)


def test_sigmoid_slope_never_exceeds_a_quarter_reached_at_zero():
    _, d = curve_and_derivative("sigmoid", X)
    assert d.max().item() == pytest.approx(0.25, abs=1e-9)
    assert X[d.argmax()].item() == pytest.approx(0.0, abs=1e-3)
    assert d[X.abs() > 6].max() < 0.0025  # the tails are flat


def test_tanh_slope_is_at_most_one_and_tanh_is_a_rescaled_sigmoid():
    f, d = curve_and_derivative("tanh", X)
    s, _ = curve_and_derivative("sigmoid", 2 * X)
    assert d.max().item() == pytest.approx(1.0, abs=1e-9)
    assert torch.allclose(f, 2 * s - 1, atol=1e-12)


def test_relu_slope_is_zero_below_one_above_and_pytorch_uses_zero_at_zero():
    f, d = curve_and_derivative("relu", torch.tensor([-2.0, -1e-6, 0.0, 1e-6, 3.0]))
    assert d.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert f.tolist()[:3] == [0.0, 0.0, 0.0]


def test_leaky_relu_keeps_a_slope_of_one_hundredth_below_zero():
    _, d = curve_and_derivative("leaky_relu", torch.tensor([-5.0, -0.1, 0.1, 5.0]))
    assert d.tolist() == pytest.approx([0.01, 0.01, 1.0, 1.0])


def test_gelu_is_a_smooth_relu_with_a_small_negative_dip():
    f, _ = curve_and_derivative("gelu", X)
    relu, _ = curve_and_derivative("relu", X)
    assert (f - relu)[X.abs() > 3].abs().max() < 0.01
    assert f.min().item() == pytest.approx(-0.17, abs=0.005)
    assert X[f.argmin()].item() == pytest.approx(-0.75, abs=0.01)


def test_softmax_ignores_a_shared_shift_and_temperature_sharpens_or_flattens():
    z = torch.tensor([2.0, 1.0, 0.0, -1.0])
    assert torch.allclose(softmax(z), softmax(z + 100.0), atol=1e-6)
    assert softmax(z).sum().item() == pytest.approx(1.0)
    assert softmax(z, 0.1)[0] > 0.99  # T → 0: the arg-max takes (almost) everything
    assert (softmax(z, 10.0) - 0.25).abs().max() < 0.05  # large T: nearly uniform


def test_without_activation_a_deep_stack_is_one_linear_map():
    net = MLP(3, 2, ModelConfig(depth=4, width=8, activation="identity", init="xavier_normal"), seed=0).double()
    x = torch.randn(50, 3, dtype=torch.float64)
    # Fit one linear map (with bias) by least squares: it reproduces the deep net exactly.
    design = torch.cat([x, torch.ones(50, 1, dtype=torch.float64)], dim=1)
    with torch.no_grad():
        y = net(x)
        w = torch.linalg.lstsq(design, y).solution
    assert torch.allclose(design @ w, y, atol=1e-10)
    nonlinear = MLP(3, 2, ModelConfig(depth=4, width=8, activation="tanh", init="large_normal"), seed=0).double()
    with torch.no_grad():
        y2 = nonlinear(x)
        w2 = torch.linalg.lstsq(design, y2).solution
    assert (design @ w2 - y2).abs().max() > 0.1  # with tanh, no linear map does it


def test_ten_sigmoid_layers_starve_the_first_layer_of_gradient_but_relu_does_not():
    comp = Comparison(ACTIVATIONS.data, replace(ACTIVATIONS.model, depth=10, width=32), ACTIVATIONS.train,
                      (("sigmoid", (("model.activation", "sigmoid"), ("model.init", "xavier_normal"))),
                       ("relu", (("model.activation", "relu"), ("model.init", "he_normal")))))
    grads = {k: [layer.grad_norm for layer in t.recorder.records[0].layers] for k, t in comp.trainers("cpu").items()}
    assert grads["sigmoid"][0] < 1e-4 * grads["sigmoid"][-1]  # orders of magnitude smaller
    assert grads["relu"][0] > 0.1 * grads["relu"][-1]  # within 10×


def test_default_run_relu_family_learns_while_sigmoid_barely_moves():
    trainers = run_all(ACTIVATIONS.trainers("cpu"))
    final = {k: t.recorder.records[-1] for k, t in trainers.items()}
    for name in ("relu", "leaky_relu", "gelu"):
        assert final[name].val_acc >= 0.95, name
    assert final["sigmoid"].val_loss > 0.5 and final["sigmoid"].val_acc < 0.8
    assert final["sigmoid"].val_loss > 10 * max(final[n].val_loss for n in ("relu", "leaky_relu", "gelu"))


def test_a_negative_bias_kills_relu_units_for_good_but_leaky_relu_units_recover():
    comp = Comparison.over(ACTIVATIONS.data, replace(ACTIVATIONS.model, bias_init=-2.0, init="he_normal"),
                           ACTIVATIONS.train, "model.activation", ["relu", "leaky_relu"])
    relu, leaky = run_all(comp.trainers("cpu")).values()
    dead_start = [layer.act.dead_frac for layer in relu.recorder.records[0].layers if layer.act]
    dead_end = [layer.act.dead_frac for layer in relu.recorder.records[-1].layers if layer.act]
    assert min(dead_start) > 0.7 and dead_end == dead_start  # dead, and they stay dead
    assert relu.recorder.records[-1].val_loss > 0.69  # the loss curve is flat at chance (ln 2)
    assert all(layer.act.dead_frac == 0 for r in leaky.recorder.records for layer in r.layers if layer.act)
    inactive_start = [layer.act.inactive_frac for layer in leaky.recorder.records[0].layers if layer.act]
    inactive_end = [layer.act.inactive_frac for layer in leaky.recorder.records[-1].layers if layer.act]
    assert sum(inactive_end) < sum(inactive_start) - 0.3  # switched-off units come back
    assert leaky.recorder.records[-1].val_loss < 0.6


def test_large_normal_init_pushes_tanh_units_onto_their_flat_tails():
    comp = Comparison.over(ACTIVATIONS.data, replace(ACTIVATIONS.model, init="large_normal"), ACTIVATIONS.train,
                           "model.activation", ["tanh"])
    (t,) = comp.trainers("cpu").values()
    saturated = [layer.act.saturated_frac for layer in t.recorder.records[0].layers if layer.act]
    xavier = Comparison.over(ACTIVATIONS.data, ACTIVATIONS.model, ACTIVATIONS.train, "model.activation", ["tanh"])
    (x,) = xavier.trainers("cpu").values()
    assert max(saturated) > 0.3
    assert max(layer.act.saturated_frac for layer in x.recorder.records[0].layers if layer.act) < 0.05


def test_a_learning_rate_of_10_diverges_and_the_run_says_where():
    comp = Comparison.over(ACTIVATIONS.data, ACTIVATIONS.model, replace(ACTIVATIONS.train, lr=10.0),
                           "model.activation", ["relu", "tanh"])
    for t in run_all(comp.trainers("cpu")).values():
        assert t.diverged and t.message.startswith("diverged at step")
        assert t.step < ACTIVATIONS.train.steps


def test_all_positive_inputs_give_a_units_weight_gradients_one_sign():
    """Why zero-centring helps: "With all-positive inputs (sigmoid outputs), the gradients of a unit's
    incoming weights all share one sign" — the second layer of the app's sigmoid MLP, one example at
    a time; the same layer of a tanh MLP (centred inputs) gets mixed signs."""
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(20, 2, generator=g), torch.randint(0, 2, (20,), generator=g)
    mixed = 0
    for activation in ("sigmoid", "tanh"):
        net = MLP(2, 2, ModelConfig(depth=2, width=8, activation=activation, init="xavier_normal"), seed=0)
        for i in range(len(x)):
            net.zero_grad()
            F.cross_entropy(net(x[i : i + 1]), y[i : i + 1]).backward()
            rows = net.blocks[1].linear.weight.grad  # (units, inputs): one row per unit
            same = ((rows > 0).all(dim=1) | (rows < 0).all(dim=1) | (rows == 0).all(dim=1))
            if activation == "sigmoid":
                assert same.all()
            else:
                mixed += int((~same).sum())
    assert mixed > 20  # tanh's centred outputs: most rows mix signs


def _backward_mean_square(init: str, seed: int = 0, depth: int = 20, width: int = 256):
    """Mean square of ∂L/∂h_l at every hidden layer of the app's ReLU MLP on the digits, and the
    mean of f′(z)² over every hidden pre-activation (the app's ReLU, by autograd)."""
    import numpy as np
    import torch.nn.functional as F

    from dlcore import MLPTrainer
    from dlcore.config import DataConfig, TrainConfig

    t = MLPTrainer(DataConfig(name="digits", n_samples=1797, seed=seed),
                   ModelConfig(depth=depth, width=width, activation="relu", init=init), TrainConfig(steps=1, seed=seed))
    net, h = t.model, t.dataset.x_train[:256]
    outs, slopes = [], []
    for block in net.blocks:
        slopes.append(curve_and_derivative("relu", block.linear(h).detach().flatten())[1])
        h = block(h)  # (256, width)
        h.retain_grad()
        outs.append(h)
    F.cross_entropy(net.head(h), t.dataset.y_train[:256]).backward()
    ms = np.array([(o.grad**2).mean().item() for o in outs])
    return ms, float(torch.cat(slopes).pow(2).mean())


@pytest.mark.parametrize("seed", [0, 1])
def test_relu_halves_the_mean_square_gradient_per_layer_unless_he_init_compensates(seed):
    """"Its slope is 1 where a unit is on and 0 where it is off — about half the units — so
    E[f′(z)²] = ½ and the mean-square gradient halves per layer unless He initialization's factor 2
    compensates; with He, gradients keep their size." (The old sentence — "its slope of 1 keeps
    gradients from shrinking" — fails the Xavier half of this test.)"""
    import numpy as np

    xavier, e_slope2 = _backward_mean_square("xavier_normal", seed)
    assert e_slope2 == pytest.approx(0.5, abs=0.02)
    per_layer = np.exp(np.mean(np.log(xavier[:-1] / xavier[1:])))  # towards the input
    assert per_layer == pytest.approx(0.5, abs=0.03)
    he, _ = _backward_mean_square("he_normal", seed)
    assert np.exp(np.mean(np.log(he[:-1] / he[1:]))) == pytest.approx(1.0, abs=0.05)
    assert 0.5 < he[0] / he[-1] < 2  # twenty layers on, the same size


@pytest.mark.parametrize("seed", [0, 1])
def test_three_hidden_layers_learn_the_spiral_where_one_layer_of_the_same_width_does_not(seed):
    """"one hidden layer of 16 ReLUs reaches 65–85 % on the spiral in 300 steps, three such layers
    over 95 %"."""
    comp = Comparison.over(replace(ACTIVATIONS.data, name="spiral", seed=seed), ACTIVATIONS.model,
                           replace(ACTIVATIONS.train, seed=seed), "model.depth", [1, 3])
    one, three = (t.recorder.records[-1].val_acc for t in run_all(comp.trainers("cpu")).values())
    assert 0.65 < one < 0.85 and three > 0.95


def test_saturation_counts_tanh_beyond_0_99_and_both_sigmoid_tails():
    """"tanh units are pushed onto their flat tails (the saturated share jumps)" — saturated means
    |tanh| > 0.99, sigmoid < 0.01 or > 0.99 (the recorder's definition)."""
    from dlcore.recorder import activation_stats

    tanh = torch.tensor([[0.95, -0.95, 0.995, -0.995]]).repeat(4, 1)  # (examples, units)
    assert activation_stats("tanh", tanh.unsqueeze(0))[0].saturated_frac == pytest.approx(0.5)
    sigmoid = torch.tensor([[0.005, 0.02, 0.5, 0.995]]).repeat(4, 1)
    assert activation_stats("sigmoid", sigmoid.unsqueeze(0))[0].saturated_frac == pytest.approx(0.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_leaky_relus_negative_side_learns_slowly(seed):
    """"its loss falls — slowly, since the negative side learns at 1/100 of the rate: after 300 steps
    it is still above 0.4, where the same Leaky ReLU network started with bias 0 is below 0.03 within
    100 steps"."""
    comp = Comparison(replace(ACTIVATIONS.data, seed=seed), replace(ACTIVATIONS.model, init="he_normal",
                      activation="leaky_relu"), replace(ACTIVATIONS.train, seed=seed),
                      (("off", (("model.bias_init", -2.0),)), ("on", (("model.bias_init", 0.0),))))
    off, on = run_all(comp.trainers("cpu")).values()
    assert off.recorder.records[-1].val_loss > 0.4
    assert off.recorder.records[-1].val_loss < off.recorder.records[0].val_loss  # it does fall
    assert on.recorder.series("val_loss")[10] < 0.03  # step 100
