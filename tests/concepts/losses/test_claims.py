"""Claim tests for the Loss functions page (assets/pages/losses.md)."""

import numpy as np
import pytest
import torch

from dlcore import TrainConfig
from dlcore.labs import losses as L

R = torch.linspace(-4, 4, 801, dtype=torch.float64)


def test_mse_gradient_grows_with_the_error_mae_is_constant_huber_is_clipped():
    _, g_mse = L.curve_and_gradient("mse", R)
    _, g_mae = L.curve_and_gradient("mae", R)
    _, g_hub = L.curve_and_gradient("huber", R, delta=1.0)
    assert torch.allclose(g_mse, 2 * R)
    assert torch.allclose(g_mae[R.abs() > 1e-9].abs(), torch.ones_like(R[R.abs() > 1e-9]))
    assert torch.allclose(g_hub, R.clamp(-1, 1))


def test_huber_is_half_mse_near_zero_and_linear_beyond_delta():
    """"Huber is ½r² near zero — half of MSE's r², with gradient r, not 2r — and δ|r| − ½δ² beyond δ"
    (the old sentence, "MSE near zero, MAE beyond δ", fails both halves)."""
    loss, grad = L.curve_and_gradient("huber", R, delta=2.0)
    mse, g_mse = L.curve_and_gradient("mse", R)
    mae, _ = L.curve_and_gradient("mae", R)
    inside = R.abs() <= 2
    assert torch.allclose(loss[inside], 0.5 * mse[inside])
    assert torch.allclose(grad[inside], 0.5 * g_mse[inside])
    assert torch.allclose(loss[~inside], 2.0 * R[~inside].abs() - 0.5 * 2.0**2)
    assert not torch.allclose(loss[~inside], mae[~inside])  # not MAE itself: MAE scaled by δ, shifted


def fits(outliers: int, seed: int = 0) -> dict[str, tuple[float, float]]:
    data = L.LineData(outliers=outliers, seed=seed)
    train = TrainConfig(optimizer="adam", lr=0.05, steps=300)
    return {n: L.LineFit(data, n, train).run().line for n in L.REGRESSION_LOSSES}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_outliers_drag_the_mse_line_while_mae_lands_near_the_truth_and_huber_in_between(seed):
    slope_error = {n: abs(a - 1.5) for n, (a, _) in fits(outliers=4, seed=seed).items()}
    assert slope_error["mse"] > 1.0  # dragged far from the true slope 1.5
    assert slope_error["mae"] < 0.2
    assert slope_error["mae"] <= slope_error["huber"] < slope_error["mse"] / 2  # Huber much closer to MAE


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_mse_line_is_dragged_up_above_the_true_line_at_the_right_hand_end(seed):
    """"the MSE line is dragged up towards them — above the true line at the right-hand end"."""
    data = L.LineData(outliers=4, seed=seed)
    x, _ = data.make()
    a, b = fits(outliers=4, seed=seed)["mse"]
    right = x.max().item()
    assert a * right + b > data.slope * right + data.intercept + 1.0
    assert a > data.slope + 1.0  # tilted up towards the outliers


def test_without_outliers_the_three_fits_agree():
    slopes = [a for a, _ in fits(outliers=0).values()]
    assert max(slopes) - min(slopes) < 0.1 and all(abs(a - 1.5) < 0.15 for a in slopes)


def test_mae_predicts_the_median_and_mse_the_mean():
    y = torch.tensor([0.0, 1.0, 2.0, 3.0, 100.0])
    c = torch.linspace(-1, 101, 10201)
    mae = torch.stack([L.regression_loss("mae", ci - y).mean() for ci in c])
    mse = torch.stack([L.regression_loss("mse", ci - y).mean() for ci in c])
    assert c[mae.argmin()].item() == pytest.approx(2.0, abs=0.02)  # median
    assert c[mse.argmin()].item() == pytest.approx(21.2, abs=0.02)  # mean


def test_cross_entropy_gradient_is_p_minus_y_and_mse_on_sigmoid_vanishes_when_confidently_wrong():
    z = torch.tensor([-10.0, -2.0, 0.0, 3.0])
    grads = L.logit_gradients(z, y=1.0)
    assert torch.allclose(grads["cross-entropy"], torch.sigmoid(z) - 1)
    assert grads["cross-entropy"][0].item() == pytest.approx(-1.0, abs=1e-3)  # full strength
    assert abs(grads["MSE on σ(z)"][0].item()) < 2e-4  # about 10⁻⁴
    assert abs(grads["MSE on σ(z)"][0]) < abs(grads["MSE on σ(z)"][1])  # weaker the more wrong it is


def test_focal_loss_cuts_easy_examples_a_hundredfold_and_leaves_hard_ones():
    p = torch.tensor([0.9, 0.1])
    ce, focal = L.focal_loss(p, 0.0), L.focal_loss(p, 2.0)
    assert torch.allclose(ce, -torch.log(p))
    assert (ce[0] / focal[0]).item() == pytest.approx(100.0)
    assert (focal[1] / ce[1]).item() == pytest.approx(0.81)  # "almost the same"
    with pytest.raises(ValueError, match="focal γ must be ≥ 0"):
        L.focal_loss(p, -1.0)


def test_cross_entropy_is_entropy_plus_kl_and_equals_kl_for_a_one_hot_target():
    q = torch.softmax(torch.tensor([2.0, 0.0, -1.0, 0.5], dtype=torch.float64), dim=0)
    one_hot = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    smooth = 0.9 * one_hot + 0.025
    assert L.entropy(one_hot).item() == 0.0
    assert L.cross_entropy(one_hot, q).item() == pytest.approx(L.kl_divergence(one_hot, q).item())
    h_plus_kl = L.entropy(smooth).item() + L.kl_divergence(smooth, q).item()
    assert L.cross_entropy(smooth, q).item() == pytest.approx(h_plus_kl)
    assert L.entropy(smooth).item() > 0
    assert L.kl_divergence(smooth, smooth).item() == pytest.approx(0.0, abs=1e-12)
    assert L.kl_divergence(smooth, q).item() > 0


def test_for_a_fixed_p_kl_and_cross_entropy_are_smallest_at_q_equal_p():
    """"For a fixed p, both are smallest when q = p, where KL = 0 and cross-entropy = H(p)"."""
    p = torch.tensor([0.7, 0.1, 0.15, 0.05], dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    for _ in range(200):
        q = torch.softmax(torch.log(p) + 0.3 * torch.randn(4, generator=g, dtype=torch.float64), dim=0)
        assert L.kl_divergence(p, q).item() > 0
        assert L.cross_entropy(p, q).item() > L.entropy(p).item()
    assert L.cross_entropy(p, p).item() == pytest.approx(L.entropy(p).item())


def test_log_of_softmax_underflows_where_log_softmax_stays_finite():
    """"log(softmax(z)) underflows for large negative logits; log_softmax(z) = z − logsumexp(z)
    stays finite" — the app's softmax and the app's cross-entropy."""
    from dlcore.layers.activations import softmax

    z = torch.tensor([0.0, -200.0], dtype=torch.float32)
    assert torch.isinf(torch.log(softmax(z))[1])  # e^−200 is 0 in float32: log(0) = −inf
    assert L.cross_entropy(torch.tensor([0.0, 1.0]), softmax(z)).item() == float("inf")
    stable = z - torch.logsumexp(z, dim=0)
    assert stable[1].item() == pytest.approx(-200.0)


def test_cross_entropy_matches_pytorch_on_logits():
    z = torch.tensor([[2.0, 0.0, -1.0, 0.5]], dtype=torch.float64)
    q = torch.softmax(z, dim=1)[0]
    expected = torch.nn.functional.cross_entropy(z, torch.tensor([0])).item()
    assert L.cross_entropy(torch.tensor([1.0, 0, 0, 0], dtype=torch.float64), q).item() == pytest.approx(expected)


def test_a_huge_learning_rate_is_reported_as_divergence():
    fit = L.LineFit(L.LineData(outliers=0), "mse", TrainConfig(optimizer="sgd", lr=2.0, steps=100)).run()
    assert fit.diverged and fit.message.startswith("diverged at step")


def test_bad_settings_raise_clear_errors():
    with pytest.raises(ValueError, match="loss must be one of"):
        L.LineFit(L.LineData(), "hinge", TrainConfig())
    with pytest.raises(ValueError, match="outliers must be ≥ 0 and fewer than the points"):
        L.LineData(n=10, outliers=10)
    assert np.isfinite(L.LineData().make()[1].numpy()).all()
