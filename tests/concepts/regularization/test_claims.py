"""Claim tests for the Regularization page (assets/pages/regularization.md)."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore import data as data_mod
from dlcore.config import TrainConfig
from dlcore.experiments import Comparison, run_all
from dlcore.labs import regularization as reg
from dlcore.labs.regularization import REGULARIZATION, early_stopping
from dlcore.trainer import make_optimizer


def runs(seed: int):
    comp = Comparison.over(replace(REGULARIZATION.data, seed=seed), REGULARIZATION.model,
                           replace(REGULARIZATION.train, seed=seed), "train.weight_decay", [0.0, 0.1, 0.5])
    return list(run_all(comp.trainers("cpu")).values())


@pytest.fixture(scope="module", params=[0, 1])
def trained(request):
    return runs(request.param)


def test_without_regularization_validation_loss_bottoms_out_then_climbs(trained):
    plain = trained[0].recorder
    val, train = plain.series("val_loss"), plain.series("train_loss")
    best = int(val.argmin())
    assert 0 < best < len(val) - 5
    assert val[-1] > 1.5 * val[best]  # early stopping's checkpoint is far better than the last
    assert train[-1] < train[best]  # while the training loss kept falling
    gap = val - train
    assert gap[-1] > 2 * gap[best]


def test_weight_decay_keeps_the_weights_small(trained):
    norms = [t.recorder.layer_series("weight_norm")[-1].sum() for t in trained]
    assert norms[0] > norms[1] > norms[2]
    assert norms[2] < 0.6 * norms[0]


def test_larger_decay_smaller_gap_and_lower_final_validation_loss(trained):
    final = [t.recorder.records[-1] for t in trained]
    gaps = [r.val_loss - r.train_loss for r in final]
    assert gaps[0] > gaps[1] > gaps[2]
    assert final[0].val_loss > final[1].val_loss > final[2].val_loss
    assert final[2].val_loss < 0.75 * final[0].val_loss


def test_early_stopping_stops_patience_evaluations_after_the_best_and_keeps_it():
    val = np.array([1.0, 0.8, 0.7, 0.72, 0.69, 0.71, 0.75, 0.8, 0.9])
    stop = early_stopping(val, patience=3)
    assert (stop.best, stop.stop, stop.triggered) == (4, 7, True)
    assert early_stopping(val, patience=1).stop == 3  # a small patience stops at the first bump
    late = early_stopping(val, patience=10)
    assert not late.triggered and late.stop == len(val) - 1 and late.best == 4
    with pytest.raises(ValueError, match="patience must be ≥ 1"):
        early_stopping(val, patience=0)


def test_patience_trades_an_early_stop_for_a_later_one(trained):
    val = trained[0].recorder.series("val_loss")
    stops = [early_stopping(val, p).stop for p in range(1, 11)]
    assert stops == sorted(stops)


def test_for_sgd_weight_decay_equals_an_l2_penalty_but_not_for_adam():
    """"L2 regularization adds λ/2·‖W‖² to the loss, i.e. λ·W to the gradient … For plain SGD the two
    are identical; for Adam they are not" — the app's optimizers, built by make_optimizer."""
    g = torch.Generator().manual_seed(0)
    x, y, w0 = torch.randn(32, 5, generator=g), torch.randn(32, generator=g), torch.randn(5, generator=g)
    lam = 0.1

    def train(name, penalty: bool, weight_decay=0.0):
        w = w0.clone().requires_grad_(True)
        opt = make_optimizer(TrainConfig(optimizer=name, lr=0.05, weight_decay=weight_decay), [w])
        for _ in range(20):
            opt.zero_grad()
            loss = ((x @ w - y) ** 2).mean() + (lam / 2 * (w**2).sum() if penalty else 0)
            loss.backward()
            opt.step()
        return w.detach()

    assert torch.allclose(train("sgd", True), train("sgd", False, weight_decay=lam), atol=1e-6)
    adam_l2 = train("adam", False, weight_decay=lam)  # Adam's weight_decay is an L2 term
    assert torch.allclose(adam_l2, train("adam", True), atol=1e-6)  # … exactly the penalty in the loss
    adamw = train("adamw", False, weight_decay=lam)  # decoupled
    assert (adam_l2 - adamw).abs().max() > 1e-3


def test_adam_l2_decays_weights_with_large_past_squared_gradients_less_adamw_decays_all_alike():
    """"Adam divides the L2 term by √v̂, so weights whose past gradients were large (large v̂) are
    decayed less than the rest. AdamW decouples the decay (W ← W − η·λ·W)". Weight 0 gets a large
    gradient of alternating sign (no net push, large v̂); weight 1 gets none."""
    lr, lam, steps = 0.01, 0.1, 200
    final = {}
    for name in ("adam", "adamw"):
        w = torch.ones(2, dtype=torch.float64, requires_grad=True)
        opt = make_optimizer(TrainConfig(optimizer=name, lr=lr, weight_decay=lam), [w])
        for t in range(steps):
            opt.zero_grad()
            (w[0] * (100.0 if t % 2 == 0 else -100.0)).backward()
            opt.step()
        final[name] = w.detach()
    assert final["adam"][0] > 0.95  # large v̂: its decay is divided by ≈ 100, barely acts
    assert abs(final["adam"][1]) < 0.1  # small v̂: the decay acts at full strength, ≈ η per step
    assert final["adamw"][1].item() == pytest.approx((1 - lr * lam) ** steps, rel=1e-9)  # the same for all
    assert final["adamw"][0].item() == pytest.approx((1 - lr * lam) ** steps, abs=0.05)


def test_l1_gives_exact_zeros_only_with_a_proximal_step_l2_only_shrinks():
    """"L1 has a sparse optimum … But plain (sub)gradient SGD only oscillates around 0, stepping
    ±η·λ; exact zeros need a proximal step — soft-thresholding". Least squares with 2 of 10 true
    weights non-zero. (The app has no L1 option, so this one checks the mathematics only.)"""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 10, generator=g, dtype=torch.float64)
    y = x @ torch.tensor([3.0, -2.0] + [0.0] * 8, dtype=torch.float64) + 0.1 * torch.randn(200, generator=g,
                                                                                               dtype=torch.float64)
    lr, lam = 0.1, 0.2
    w_l1, w_l2 = torch.zeros(10, dtype=torch.float64), torch.zeros(10, dtype=torch.float64)
    for _ in range(500):
        grad = lambda w: 2 * x.T @ (x @ w - y) / len(y)  # noqa: E731
        w_l1 = w_l1 - lr * grad(w_l1)
        w_l1 = torch.sign(w_l1) * (w_l1.abs() - lr * lam).clamp_min(0)  # proximal step of λ‖w‖₁
        w_l2 = w_l2 - lr * (grad(w_l2) + lam * w_l2)
    assert (w_l1[2:] == 0).all() and (w_l1[:2] != 0).all()
    assert (w_l2 != 0).all()
    w_sub = torch.zeros(10, dtype=torch.float64)
    for _ in range(500):  # subgradient of λ‖w‖₁ (sign(0) = 0, as PyTorch's abs().backward())
        w_sub = w_sub - lr * (2 * x.T @ (x @ w_sub - y) / len(y) + lam * torch.sign(w_sub))
    assert (w_sub[2:] != 0).all()  # no exact zeros …
    assert w_sub[2:].abs().max() < 2 * lr * lam  # … it hovers within a step or two of 0


def test_gradient_descent_grows_the_weights_step_by_step(trained):
    """"gradient descent from small initial weights grows them step by step, so stopping earlier
    keeps them smaller" — the page's λ = 0 run: Σ‖W‖ rises at every recorded step."""
    norms = trained[0].recorder.layer_series("weight_norm").sum(axis=1)
    assert np.all(np.diff(norms) > 0)
    assert norms[-1] > 1.1 * norms[0]


def test_a_large_patience_may_never_stop_within_the_run():
    """"with 100 steps, patience 10 trains every run to the end while patience 3 stops each of them
    before the last evaluation"."""
    comp = Comparison.over(REGULARIZATION.data, REGULARIZATION.model, replace(REGULARIZATION.train, steps=100),
                           "train.weight_decay", [0.0, 0.1, 0.5])
    for t in run_all(comp.trainers("cpu")).values():
        val = t.recorder.series("val_loss")
        assert not early_stopping(val, 10).triggered
        stop = early_stopping(val, 3)
        assert stop.triggered and stop.stop < len(val) - 1


def test_an_improvement_smaller_than_min_delta_does_not_count():
    """"min_delta: an improvement smaller than this does not count" (early_stopping's argument)."""
    val = np.array([1.0, 0.995, 0.99, 0.985, 0.98, 0.5])
    assert early_stopping(val, patience=2).best == 1 or not early_stopping(val, patience=2).triggered
    stop = early_stopping(val, patience=2, min_delta=0.01)
    assert (stop.best, stop.stop, stop.triggered) == (0, 2, True)
    assert early_stopping(val, patience=5, min_delta=0.01).best == 5  # a real improvement still counts


@pytest.fixture(scope="module")
def random_label_runs():
    out = []
    for seed in range(4):
        data = replace(REGULARIZATION.data, seed=seed)
        comp = Comparison.over(data, REGULARIZATION.model, replace(REGULARIZATION.train, steps=2000, seed=seed),
                               "train.weight_decay", [0.0])
        out.append(next(iter(run_all(reg.trainers(comp, random_labels=True, device="cpu")).values())))
    return out


def test_the_over_fitting_network_memorises_random_labels_with_validation_at_chance(random_label_runs):
    """"Switch on Random training labels, pick 2,000 steps and λ = 0: the network fits training labels
    that were dealt out at random — training accuracy above 95 % — while the validation accuracy stays
    near chance (50 %; 35–65 % on a single seed, with only 100 validation points)" (Zhang et al. 2017)."""
    last = [t.recorder.records[-1] for t in random_label_runs]
    assert all(r.train_acc > 0.95 for r in last)
    assert all(0.35 <= r.val_acc <= 0.65 for r in last)
    assert np.mean([r.val_acc for r in last]) == pytest.approx(0.5, abs=0.08)


def test_random_labels_carry_no_information_about_the_true_ones():
    """"Every training label was dealt out at random (the validation labels are true)"."""
    ds = data_mod.load(REGULARIZATION.data)
    shuffled = reg.shuffle_labels(ds, seed=0)
    assert reg.label_agreement(ds, shuffled) == pytest.approx(0.5, abs=0.011)  # within one example
    counts = torch.bincount(shuffled.y_train)
    assert counts.max() - counts.min() <= 1  # split evenly between the classes
    assert torch.equal(shuffled.y_val, ds.y_val) and torch.equal(shuffled.x_train, ds.x_train)
    assert not torch.equal(reg.shuffle_labels(ds, seed=1).y_train, shuffled.y_train)
