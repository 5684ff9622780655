"""Claim tests: every checkable sentence of the Vanishing & exploding gradients page, run as the
small experiment behind it. Gaps are in orders of magnitude (log₁₀ of last hidden / first)."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore import MLPTrainer
from dlcore.labs import vanishing_gradients as vg
from dlcore.labs.vanishing_gradients import VANISHING_GRADIENTS as BASE
from dlcore.layers import activations as act

SEEDS = (0, 1, 2)


def gap_at_init(seed: int = 0, **model) -> float:
    """The first-to-last gradient gap of the untrained default network with ``model`` overrides."""
    data = replace(BASE.data, seed=seed)
    return vg.gradient_gap(vg.initial_gradient_norms(data, replace(BASE.model, **model), seed=seed))


def trained(seed: int = 0, model=None, **train) -> MLPTrainer:
    data = replace(BASE.data, seed=seed)
    return MLPTrainer(data, replace(BASE.model, **(model or {})), replace(BASE.train, seed=seed, **train)).run()


@pytest.fixture(scope="module")
def default_run() -> MLPTrainer:
    return trained()


def test_sigmoid_slope_is_at_most_a_quarter_so_ten_layers_contribute_at_most_a_millionth(default_run):
    """"sigmoid's slope is at most ¼ (at 0) … so ten sigmoid layers contribute at most (¼)¹⁰ ≈ 10⁻⁶"."""
    _, slope = act.curve_and_derivative("sigmoid", torch.linspace(-10, 10, 2001))
    assert slope.max().item() == pytest.approx(0.25, abs=1e-6)
    # the product of the steepest slope each of the default network's 10 layers really has
    net = MLPTrainer(BASE.data, BASE.model, replace(BASE.train, steps=1)).model
    h, product = default_run.dataset.x_train, 1.0
    for block in net.blocks:
        z = block.linear(h).detach()  # (n, width)
        product *= act.curve_and_derivative("sigmoid", z.flatten())[1].max().item()
        h = block(h).detach()
    assert 0.25**10 / 2 < product <= 0.25**10 * (1 + 1e-6)  # at most (¼)¹⁰ ≈ 10⁻⁶, and close to it
    assert product == pytest.approx(1e-6, rel=0.1)


@pytest.mark.parametrize("seed", SEEDS)
def test_with_xavier_or_he_scales_a_20_layer_sigmoid_stack_vanishes_but_larger_weights_rescue_it(seed):
    """"At Xavier/He scale layer 1 gets about 10⁻¹¹ of layer 20's gradient; at s = 4 still about
    10⁻⁶; around s = 16 the loss is gone (within 10×), and past s ≈ 20 the gradient grows towards
    the input instead." — the old sentence "no choice of s fixes sigmoid" fails here."""
    gaps = dict(zip(vg.SCALES, vg.scale_sweep(seed=seed)))
    assert 10 < gaps[1.0] < 12.5 and gaps[2.0] > 7.5  # Xavier … He: vanishes
    assert 4.5 < gaps[4.0] < 6.5
    assert abs(gaps[16.0]) < 1.0  # rescued: within 10×
    assert gaps[20.0] < -0.5  # now growing towards the input
    assert np.all(np.diff(list(gaps.values())) < 0.1)  # the loss only shrinks as s grows


@pytest.mark.parametrize("seed", SEEDS)
def test_mean_cancelling_biases_rescue_sigmoid_at_s_6_to_8(seed):
    """"Biases that cancel sigmoid's ½ mean (b = −½·W·1) get there at s ≈ 6–8"; "with
    mean-cancelling biases it crosses 0 near s = 7"."""
    centred = dict(zip(vg.SCALES, vg.scale_sweep(centred=True, seed=seed)))
    plain = dict(zip(vg.SCALES, vg.scale_sweep(centred=False, seed=seed)))
    assert centred[4.0] > 1.0 and centred[10.0] < -0.5
    assert min(abs(centred[6.0]), abs(centred[8.0])) < 0.5
    assert plain[8.0] > 2.0  # the same s with zero biases still vanishes


def test_mean_cancelling_biases_make_the_sigmoid_network_a_tanh_network():
    """"σ(x) = ½ + ½·tanh(x/2), so with those biases each layer computes tanh(¼·W·u)"."""
    from dlcore.data import load
    from dlcore.models.mlp import build

    ds = load(BASE.data)
    sig = build(ds.n_features, ds.n_classes, replace(vg.SCALE_MODEL, depth=5), seed=0)
    vg.scale_weights(sig, 6.0, centred=True)
    x = ds.x_train[:50]
    with torch.no_grad():
        h = sig.blocks[0](x)  # (50, 64) sigmoid outputs of the first layer
        u = 2 * h - 1  # = tanh(z/2)
        for block in sig.blocks[1:]:
            u_next = torch.tanh(0.25 * block.linear.weight @ u.T).T  # tanh layer, weights W/4
            h = block(h)
            torch.testing.assert_close(2 * h - 1, u_next, atol=1e-5, rtol=1e-5)
            u = u_next


def test_batchnorm_makes_gradients_grow_towards_the_input_in_a_deep_plain_relu_net_at_init():
    """"Pick ReLU, 20 hidden layers, BatchNorm … layer 1 already gets about 10^1.5–10^2.3 more
    gradient than layer 20 … Turn on residual connections and it falls to under 10^1.1.
    LayerNorm does not do this here." (Yang et al. 2019)"""
    for s in SEEDS:
        bn = gap_at_init(s, activation="relu", depth=20, norm="batch")
        assert -2.4 < bn < -1.4
        assert gap_at_init(s, activation="relu", depth=20, norm="batch", residual=True) > -1.1
        assert gap_at_init(s, activation="relu", depth=20, norm="layer") > -0.3
        assert bn < gap_at_init(s, activation="relu", depth=10, norm="batch")  # it grows with depth


def test_default_sigmoid_net_first_layer_gets_a_millionth_of_last_hidden_layers_gradient(default_run):
    grads = default_run.recorder.layer_series("grad_norm")  # (records, layers)
    assert 5.5 < vg.gradient_gap(grads[0]) < 7.5, "about a millionth at the start"
    assert 5.5 < vg.gradient_gap(grads[-1]) < 7.5, "and still at the end of training"


def test_each_extra_sigmoid_layer_divides_first_layer_gradient_by_about_4():
    per_layer = np.mean([(gap_at_init(s, depth=15) - gap_at_init(s, depth=5)) / 10 for s in SEEDS])
    assert np.log10(3) < per_layer < np.log10(6)


def test_plain_sgd_early_layers_update_far_below_rule_of_thumb_and_net_stays_near_chance(default_run):
    ratios = default_run.recorder.layer_series("update_ratio")[-1]  # (layers,) at the last step
    assert ratios[1] < 1e-5, "layer 2"
    assert ratios[-1] > vg.HEALTHY_UPDATE_RATIO, "output layer"
    assert default_run.recorder.records[-1].val_acc < 0.6


def test_he_init_does_not_rescue_sigmoid():
    assert min(gap_at_init(s, init="he_normal") for s in SEEDS) > 4


@pytest.mark.parametrize("activation", ["tanh", "relu"])  # init "auto": Xavier for tanh, He for ReLU
def test_tanh_with_xavier_and_relu_with_he_keep_first_and_last_layers_within_10x(activation):
    gaps = [abs(gap_at_init(s, activation=activation)) for s in SEEDS]
    assert np.median(gaps) < 1.0
    assert np.median(gaps) < np.median([gap_at_init(s) for s in SEEDS]) - 4  # sigmoid, for contrast


def test_residual_connections_cut_sigmoid_gap_by_more_than_3_orders():
    for s in SEEDS:
        assert gap_at_init(s) - gap_at_init(s, residual=True) > 3


def test_batchnorm_brings_gap_within_one_order_and_the_sigmoid_net_learns():
    assert np.mean([abs(gap_at_init(s, norm="batch")) for s in SEEDS]) < 1.0
    assert trained(model={"norm": "batch"}).recorder.records[-1].val_acc > 0.9  # the page's default seed


def test_layernorm_helps_less_than_batchnorm():
    for s in SEEDS:
        plain, layer, batch = gap_at_init(s), gap_at_init(s, norm="layer"), gap_at_init(s, norm="batch")
        assert layer < plain - 2, "LayerNorm shrinks the gap by 2 orders or more"
        assert layer > batch + 2, "but stays well above BatchNorm's"


def test_adam_update_ratios_within_100x_across_layers_while_gradients_differ_by_a_million():
    def median_spread(trainer: MLPTrainer) -> float:
        ratios = trainer.recorder.layer_series("update_ratio")[1:]  # (records after step 0, layers)
        return float(np.median(vg.safe_log10(ratios.max(axis=1)) - vg.safe_log10(ratios.min(axis=1))))

    adam = trained(optimizer="adam", lr=0.01)
    assert vg.gradient_gap(adam.recorder.layer_series("grad_norm")[-1]) > 6  # a million or more
    assert median_spread(adam) < 2.0
    sgd = trained(steps=100)
    assert median_spread(sgd) > 5


def test_exploding_demo_activations_grow_about_2_8x_per_layer_and_1_400x_over_seven_layers():
    """"The activations grow by about 2.8× per layer"; "the 7 layers after the first … multiply the
    activations' size by about 2.8⁷ ≈ 1,400 (the page's seeds: 500–3,300)"."""
    total = []
    for s in SEEDS:
        t = MLPTrainer(replace(BASE.data, seed=s), vg.EXPLODING_MODEL, replace(vg.EXPLODING_TRAIN, steps=1, seed=s))
        std = t.recorder.layer_series("act.std")[0]  # (hidden layers,)
        growth = np.exp(np.log(std[1:] / std[:-1]).mean())
        assert 2.2 < growth < 3.6
        total.append(std[-1] / std[0])
        assert 400 < total[-1] < 3500
    assert 2.8**7 / 2 < np.exp(np.mean(np.log(total))) < 2.8**7 * 2


def test_exploding_demo_diverges_within_5_steps_without_clipping_and_learns_with_it():
    plain, clipped = vg.exploding_demo(BASE.data).trainers().values()
    plain.run()
    assert plain.diverged and plain.step <= 5
    assert plain.message.startswith(f"diverged at step {plain.step}")
    clipped.run()
    assert clipped.status == "finished"
    assert np.isfinite(clipped.losses).all()
    assert clipped.recorder.records[-1].val_acc > 0.9


@pytest.mark.parametrize("cure", [{"norm": "batch"}, {"norm": "layer"}, {"init": "he_normal"}])
def test_normalization_or_he_init_stop_the_explosion_without_clipping(cure):
    t = MLPTrainer(BASE.data, replace(vg.EXPLODING_MODEL, **cure), replace(vg.EXPLODING_TRAIN, grad_clip=0.0)).run()
    assert t.status == "finished" and t.recorder.records[-1].val_acc > 0.9


def test_residual_connections_do_not_stop_the_explosion():
    model = replace(vg.EXPLODING_MODEL, residual=True)
    t = MLPTrainer(BASE.data, model, replace(vg.EXPLODING_TRAIN, grad_clip=0.0)).run()
    assert t.diverged and t.step <= 5


def test_clipping_is_invisible_when_the_gradient_norm_stays_below_the_threshold(default_run):
    clipped = trained(grad_clip=5.0)
    assert clipped.losses == default_run.losses
