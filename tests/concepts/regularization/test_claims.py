"""Claim tests for the Regularization page (assets/pages/regularization.md)."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore.experiments import Comparison, run_all
from dlcore.labs.regularization import REGULARIZATION, early_stopping


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
    g = torch.Generator().manual_seed(0)
    x, y, w0 = torch.randn(32, 5, generator=g), torch.randn(32, generator=g), torch.randn(5, generator=g)
    lam = 0.1

    def train(opt_cls, penalty: bool, **kw):
        w = w0.clone().requires_grad_(True)
        opt = opt_cls([w], lr=0.05, **kw)
        for _ in range(20):
            opt.zero_grad()
            loss = ((x @ w - y) ** 2).mean() + (lam / 2 * (w**2).sum() if penalty else 0)
            loss.backward()
            opt.step()
        return w.detach()

    assert torch.allclose(train(torch.optim.SGD, True), train(torch.optim.SGD, False, weight_decay=lam), atol=1e-6)
    adam_l2 = train(torch.optim.Adam, False, weight_decay=lam)  # Adam's weight_decay is an L2 term
    adamw = train(torch.optim.AdamW, False, weight_decay=lam)  # decoupled
    assert (adam_l2 - adamw).abs().max() > 1e-3


def test_l1_gives_exact_zeros_l2_only_shrinks():
    """Least squares with 2 of 10 true weights non-zero, solved with an L1 penalty (proximal
    gradient: soft-thresholding) and with an L2 penalty (plain gradient descent)."""
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


def test_gradient_descent_grows_the_weights_step_by_step():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(100, 8, generator=g, dtype=torch.float64)
    y = x @ torch.randn(8, generator=g, dtype=torch.float64)
    w, norms = torch.zeros(8, dtype=torch.float64), []
    for _ in range(100):
        w = w - 0.01 * 2 * x.T @ (x @ w - y) / len(y)
        norms.append(w.norm().item())
    assert all(b > a for a, b in zip(norms, norms[1:]))  # stopping earlier = smaller weights
