"""Claim tests: each sentence the Weight initialization page teaches, checked by the small
experiment behind it (assets/pages/initialization.md quotes them)."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from dlcore import MLPTrainer
from dlcore.config import DataConfig, ModelConfig, TrainConfig
from dlcore.experiments import run_all
from dlcore.labs.initialization import (
    INITIALIZATION,
    RANDOM_SCHEMES,
    compare_schemes,
    signal_profile,
    unit_spread,
    weight_draw,
)

DIGITS = DataConfig(name="digits", n_samples=1797)
DEFAULT = INITIALIZATION.model  # ReLU, 10 layers of 64 units


def profiles(schemes, activation="relu", depth=10, width=64, seed=0, **model):
    cfg = ModelConfig(depth=depth, width=width, activation=activation, **model)
    return compare_schemes(replace(DIGITS, seed=seed), cfg, schemes, seed)


def per_layer_factor(p) -> float:
    """Geometric mean of std(h_l) / std(h_{l-1}) over the hidden layers after the first."""
    return float(np.exp(np.mean(np.diff(np.log(p.act_std)))))


# ------------------------------------------------------------ forward signal at initialization
@pytest.mark.parametrize("width", [64, 256])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_he_keeps_relu_std_level_within_a_small_factor_over_20_layers(width, seed):
    p = profiles(["he_normal", "he_uniform"], depth=20, width=width, seed=seed)
    for profile in p.values():
        ratio = profile.act_std / profile.input_std
        assert ratio.min() > 1 / 3 and ratio.max() < 3, ratio


def test_small_normal_shrinks_relu_signal_by_about_0_06_per_layer_and_1e9_after_10_layers():
    p = profiles(["small_normal", "he_normal"])
    small = p["small_normal"]
    assert 0.04 < per_layer_factor(small) < 0.08  # 0.01·√(64/2) ≈ 0.057
    assert small.act_std[-1] / small.input_std < 1e-9
    # "and so is the first layer's gradient" — against He's on the same batch
    assert small.grad_norm[0] < 1e-9 * p["he_normal"].grad_norm[0]


def test_small_normal_histograms_collapse_onto_zero():
    small = profiles(["small_normal"])["small_normal"]
    low, high = small.hist_range
    zero_bin = int((0 - low) * small.act_hist.shape[1] / (high - low))
    assert small.act_hist[-1, zero_bin] > 0.99


def test_large_normal_grows_relu_signal_by_about_5_7_per_layer_beyond_1e6_and_loss_in_millions():
    large = profiles(["large_normal"])["large_normal"]
    assert 4.0 < per_layer_factor(large) < 8.0  # √(64/2) ≈ 5.7
    assert large.act_std[-1] / large.input_std > 1e6
    assert large.loss > 1e6
    assert large.act_hist[-1, -1] > 0.3  # piled up beyond the right edge (half are ReLU zeros)


def test_xavier_on_relu_shrinks_the_signal_by_about_sqrt2_per_layer():
    xavier = profiles(["xavier_normal"], depth=20, width=256)["xavier_normal"]
    assert 0.6 < per_layer_factor(xavier) < 0.8  # 1/√2 ≈ 0.71
    assert xavier.act_std[-1] / xavier.input_std < 1e-2


def test_xavier_keeps_tanh_std_within_a_factor_of_3_while_large_normal_saturates_two_thirds():
    p = profiles(["xavier_normal", "xavier_uniform", "large_normal"], activation="tanh", depth=20)
    for s in ("xavier_normal", "xavier_uniform"):
        ratio = p[s].act_std / p[s].input_std
        assert ratio.min() > 1 / 3 and ratio.max() < 3, ratio
    assert p["large_normal"].saturated_frac[1:].min() > 2 / 3  # |tanh| > 0.99 after layer 1
    assert p["xavier_normal"].saturated_frac.max() < 0.01


def test_sigmoid_first_layer_gradient_is_1e8_smaller_than_the_last_hidden_layers_for_xavier_and_he():
    p = profiles(["xavier_normal", "xavier_uniform", "he_normal", "he_uniform"], activation="sigmoid", depth=20)
    for s, profile in p.items():
        first, last_hidden = profile.grad_norm[0], profile.grad_norm[-2]
        assert first < 1e-8 * last_hidden, (s, first, last_hidden)


# --------------------------------------------------------------------- the default training run
@pytest.fixture(scope="module")
def default_run():
    return run_all(INITIALIZATION.trainers("cpu"))


def test_default_run_he_reaches_the_lowest_validation_loss_and_xavier_trains_more_slowly(default_run):
    final = {k: t.recorder.records[-1].val_loss for k, t in default_run.items() if not t.diverged}
    assert min(final, key=final.get) == "He normal"
    assert final["Xavier normal"] < 1.5  # it trains…
    assert final["Xavier normal"] > 1.3 * final["He normal"]  # …but more slowly


def test_default_run_small_normal_and_zeros_stay_flat_at_ln10(default_run):
    for name in ("N(0, 0.01²)", "zeros"):
        losses = default_run[name].recorder.series("val_loss")
        assert np.all(np.abs(losses - math.log(10)) < 0.05), (name, losses)


def test_default_run_large_normal_starts_in_the_millions_and_blows_up_within_a_few_steps(default_run):
    t = default_run["N(0, 1)"]
    assert t.recorder.records[0].train_loss > 1e6
    assert t.diverged and t.step <= 5


# ------------------------------------------------------------------------ the symmetry problem
def train(activation, init, steps=60, depth=3, width=12):
    return MLPTrainer(DIGITS, ModelConfig(depth=depth, width=width, activation=activation, init=init),
                   TrainConfig(optimizer="momentum", lr=0.05, steps=steps, batch_size=32)).run()


@pytest.mark.parametrize("activation", ["relu", "tanh", "leaky_relu", "gelu", "sigmoid"])
def test_zero_init_hidden_units_stay_identical_after_training(activation):
    t = train(activation, "zeros")
    for block in t.model.blocks:
        assert unit_spread(block.linear.weight) == 0.0
    assert unit_spread(train(activation, "he_normal").model.blocks[-1].linear.weight) > 0.1


@pytest.mark.parametrize("activation", ["relu", "tanh", "leaky_relu", "gelu"])
def test_zero_init_with_f0_equal_0_only_the_output_bias_learns(activation):
    t = train(activation, "zeros")
    hidden = [p for b in t.model.blocks for p in b.parameters()] + [t.model.head.weight]
    assert all(torch.count_nonzero(p) == 0 for p in hidden)
    assert t.model.head.bias.abs().max() > 1e-3


def test_zero_init_with_sigmoid_weights_move_but_all_units_move_together():
    t = train("sigmoid", "zeros", steps=150)
    w = t.model.blocks[-1].linear.weight
    assert w.abs().max() > 1e-3 and unit_spread(w) == 0.0


def test_any_constant_initialization_never_breaks_the_symmetry():
    t = MLPTrainer(DIGITS, ModelConfig(depth=3, width=12, activation="tanh", init="zeros"),
                TrainConfig(optimizer="momentum", lr=0.05, steps=60, batch_size=32))
    with torch.no_grad():
        for lin in t.model.linears():
            lin.weight.fill_(0.1)
    t.run()
    for block in t.model.blocks:
        w = block.linear.weight
        assert w.abs().max() > 0.05 and unit_spread(w) < 1e-6


# ---------------------------------------------------------------------- the formulas themselves
@pytest.mark.parametrize("scheme", ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal"])
def test_weight_variance_matches_the_formula_within_a_few_percent(scheme):
    fan_in, fan_out = 1024, 512
    d = weight_draw(scheme, fan_in, fan_out, seed=0)
    expected = 2 / (fan_in + fan_out) if scheme.startswith("xavier") else 2 / fan_in
    assert d.target_var == pytest.approx(expected)
    assert d.empirical_var == pytest.approx(expected, rel=0.03)
    if scheme.endswith("uniform"):
        a = math.sqrt(6 / (fan_in + fan_out)) if scheme.startswith("xavier") else math.sqrt(6 / fan_in)
        assert d.bound == pytest.approx(a)
        assert a * 0.99 < d.max_abs <= a  # reaches near the bound, never past it


def test_variance_of_a_unit_is_n_in_times_var_w_times_mean_square_of_x():
    g = torch.Generator().manual_seed(0)
    n_in = 256
    w = torch.randn(2000, n_in, generator=g, dtype=torch.float64) * 0.05  # Var(W) = 0.0025
    x = torch.rand(n_in, 400, generator=g, dtype=torch.float64)  # not centred: E[x²] = 1/3
    z = w @ x  # (units, examples)
    assert z.var().item() == pytest.approx(n_in * 0.0025 / 3, rel=0.03)


def test_relu_halves_the_mean_square():
    """"ReLU zeroes the negative half of its inputs: E[relu(z)²] = ½·Var(z)" — the app's ReLU."""
    from dlcore.layers import activations

    z = torch.randn(1_000_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 1.7
    out = activations.module("relu")(z)
    assert (out**2).mean().item() == pytest.approx(z.var().item() / 2, rel=0.01)


@pytest.mark.parametrize("scheme", ["zeros", *RANDOM_SCHEMES])
def test_this_app_sets_biases_to_0_in_every_scheme_while_pytorch_does_not(scheme):
    """"this app sets every bias to 0 whatever the scheme … a fresh nn.Linear draws its bias from
    U(−1/√n_in, 1/√n_in), and nn.init.xavier_* / kaiming_* only touch the weight tensor"."""
    net = MLPTrainer(DIGITS, replace(DEFAULT, init=scheme), TrainConfig(steps=1)).model
    for lin in net.linears():
        assert torch.count_nonzero(lin.bias) == 0
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = nn.Linear(64, 256)
    before = layer.bias.detach().clone()
    assert before.abs().max() <= 1 / 8 and before.abs().max() > 0.9 / 8  # U(±1/√64), not zeros
    nn.init.xavier_normal_(layer.weight)
    nn.init.kaiming_uniform_(layer.weight)
    assert torch.equal(layer.bias, before)  # the schemes leave the bias alone


def test_xavier_and_he_do_not_fix_a_deep_sigmoid_stack_but_much_larger_weights_do():
    """"Xavier and He don't fix a deep sigmoid stack. Much larger weights (std about 16/√n_in), or
    about 7/√n_in together with biases that cancel sigmoid's ½ mean, would" (the old sentence was
    "No initialization fixes a deep sigmoid stack")."""
    from dlcore.labs import vanishing_gradients as vg

    for seed in (0, 1):
        he = vg.gradient_gap(vg.gradient_norms_at_scale(math.sqrt(2), seed=seed))
        assert he > 8  # He's scale: layer 1 gets less than 10⁻⁸ of layer 20's gradient
        assert abs(vg.gradient_gap(vg.gradient_norms_at_scale(16.0, seed=seed))) < 1
        assert abs(vg.gradient_gap(vg.gradient_norms_at_scale(7.0, centred=True, seed=seed))) < 1


def test_pytorch_default_linear_is_uniform_with_a_sixth_of_he_variance():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = nn.Linear(1024, 512)
    w, n_in = layer.weight.detach().double(), 1024
    assert w.abs().max().item() <= 1 / math.sqrt(n_in)
    assert (w**2).mean().item() == pytest.approx(1 / (3 * n_in), rel=0.03)
    assert (2 / n_in) / (w**2).mean().item() == pytest.approx(6, rel=0.03)


def test_gains_are_sqrt2_for_relu_and_5_3_for_tanh():
    assert nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)


# -------------------------------------------------------------------- the interview follow-ups
def test_batchnorm_keeps_the_small_normal_signal_alive():
    plain = profiles(["small_normal"])["small_normal"]
    normed = profiles(["small_normal"], norm="batch")["small_normal"]
    assert normed.act_std[-1] / normed.input_std > 1 / 3
    assert normed.act_std[-1] > 1e6 * plain.act_std[-1]


def test_residual_connections_carry_the_signal_past_each_block():
    plain = profiles(["small_normal"])["small_normal"]
    res = profiles(["small_normal"], residual=True)["small_normal"]
    assert res.act_std[-1] > 0.9 * res.act_std[0]  # no further shrinking after the first block
    assert plain.act_std[-1] < 1e-6 * plain.act_std[0]


def test_adam_first_update_ignores_the_gradient_size_and_zero_gradients_give_no_update():
    """"Adam divides each gradient by its running size, so its first update is the same whether the
    gradient is tiny or huge. Exactly zero gradients (zero init) still give no update." — the app's
    Adam, built by make_optimizer."""
    from dlcore.trainer import make_optimizer

    def first_update(scale: float) -> torch.Tensor:
        w = nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
        opt = make_optimizer(TrainConfig(optimizer="adam", lr=0.01), [w])
        (scale * (w**2).sum()).backward()
        opt.step()
        return w.detach() - torch.tensor([1.0, -2.0, 3.0])

    tiny, huge = first_update(1e-4), first_update(1e4)
    torch.testing.assert_close(tiny, huge, rtol=1e-3, atol=1e-6)
    assert tiny.abs().min() > 0.009  # a full step of lr, however small the gradient
    assert first_update(0.0).abs().max() == 0.0


def test_probe_is_deterministic_for_a_seed():
    x = torch.randn(16, 64, generator=torch.Generator().manual_seed(0))
    y = torch.arange(16) % 10
    a, b = (signal_profile(x, y, 10, replace(DEFAULT, init="he_normal"), seed=5) for _ in range(2))
    np.testing.assert_array_equal(a.act_std, b.act_std)
    np.testing.assert_array_equal(a.grad_norm, b.grad_norm)


def test_adam_would_hide_part_of_what_the_initialization_does():
    """"an adaptive optimizer such as Adam rescales every gradient and would hide part of what the
    initialization does" (the page's caption): the gap between Xavier and He on ReLU that momentum
    SGD shows shrinks under Adam."""
    base = INITIALIZATION
    gaps = {}
    for optimizer, lr in (("momentum", base.train.lr), ("adam", 0.003)):
        finals = {}
        for scheme in ("xavier_normal", "he_normal"):
            t = MLPTrainer(DIGITS, replace(DEFAULT, init=scheme),
                           replace(base.train, optimizer=optimizer, lr=lr, steps=150)).run()
            finals[scheme] = t.recorder.records[-1].val_loss
        gaps[optimizer] = finals["xavier_normal"] / finals["he_normal"]
    assert gaps["momentum"] > 1.3
    assert gaps["adam"] < 1 + (gaps["momentum"] - 1) / 2
