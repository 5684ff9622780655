"""Claim tests: every sentence the Dropout page teaches that an experiment can check.

The over-fitting claims run the page's default experiment (dlcore.experiments.DROPOUT), once
per seed for the whole module; the rest use tiny tensors.
"""

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlcore.config import ModelConfig
from dlcore.experiments import Comparison, run_all
from dlcore.labs import dropout as do
from dlcore.labs.dropout import DROPOUT
from dlcore.models import InvertedDropout, build

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def default_runs(one_thread):
    """The default experiment (rates 0, 0.2, 0.5) on seeds 0, 1, 2: {seed: {label: trainer}}."""
    out = {}
    for seed in SEEDS:
        c = replace(DROPOUT, data=replace(DROPOUT.data, seed=seed), train=replace(DROPOUT.train, seed=seed))
        out[seed] = run_all(c.trainers("cpu"))
    return out


def final(trainer, attribute):
    return float(trainer.recorder.series(attribute)[-1])


# ------------------------------------------------------------------ over-fitting and the gap
def test_without_dropout_val_loss_climbs_well_above_its_best_while_train_loss_falls(default_runs):
    for runs in default_runs.values():
        r = runs["p = 0"].recorder
        val, train = r.series("val_loss"), r.series("train_loss")
        best = int(val.argmin())
        assert 30 <= r.steps()[best] <= 50, "the validation minimum comes early: around step 40"
        assert val[-1] > 1.3 * val[best]
        assert train[-1] < train[best]


def test_without_dropout_the_gap_ends_at_least_twice_as_wide_as_at_the_val_minimum(default_runs):
    for runs in default_runs.values():
        steps, gap = do.generalization_gap(runs["p = 0"].recorder)
        best = int(runs["p = 0"].recorder.series("val_loss").argmin())
        assert gap[-1] > 2 * gap[best]


def test_larger_p_means_higher_train_loss_and_lower_val_loss_at_the_end(default_runs):
    for runs in default_runs.values():
        train = [final(runs[k], "train_loss") for k in ("p = 0", "p = 0.2", "p = 0.5")]
        val = [final(runs[k], "val_loss") for k in ("p = 0", "p = 0.2", "p = 0.5")]
        assert train[0] < train[1] < train[2]
        assert val[0] > val[1] > val[2]


def test_gap_at_p_half_is_at_least_a_quarter_smaller_than_without_dropout(default_runs):
    for runs in default_runs.values():
        gaps = {k: do.generalization_gap(t.recorder)[1][-1] for k, t in runs.items()}
        assert gaps["p = 0.5"] < 0.75 * gaps["p = 0"]


def test_accuracy_moves_much_less_than_validation_loss(default_runs):
    for runs in default_runs.values():
        a0, a5 = final(runs["p = 0"], "val_acc"), final(runs["p = 0.5"], "val_acc")
        v0, v5 = final(runs["p = 0"], "val_loss"), final(runs["p = 0.5"], "val_loss")
        assert abs(a5 - a0) <= 0.05
        assert v5 < 0.8 * v0


def test_too_much_dropout_underfits_a_small_network():
    c = Comparison.over(DROPOUT.data, replace(DROPOUT.model, width=16), DROPOUT.train, "model.dropout", (0.0, 0.9))
    runs = run_all(c.trainers("cpu"))
    assert final(runs["0.9"], "train_loss") > 3 * final(runs["0.0"], "train_loss")


def test_train_loss_with_dropout_on_is_higher_than_the_eval_mode_train_loss_plotted(default_runs):
    """"The training loss plotted here is measured in eval mode (no dropout), on the same footing as
    the validation loss; measured with dropout on, the same network on the same points has a
    higher loss." — against the recorder's own train_loss, the one the chart plots."""
    t = default_runs[0]["p = 0.5"]
    x, y = t.dataset.x_train, t.dataset.y_train
    plotted = final(t, "train_loss")
    with torch.no_grad():
        t.model.eval()
        eval_loss = F.cross_entropy(t.model(x), y).item()
        assert plotted == pytest.approx(eval_loss, rel=1e-5)  # the plotted loss is the eval-mode one
        t.model.train()
        with do.mc_dropout(t.model, seed=1):
            on_loss = F.cross_entropy(t.model(x.repeat(50, 1)), y.repeat(50)).item()
    assert on_loss > 1.2 * eval_loss
    assert on_loss > 1.2 * plotted


def test_the_2000_pass_mean_lies_on_the_diagonal_for_a_real_hidden_layer(default_runs):
    """"Right: the mean of 2,000 training-mode outputs against the inference output for both
    conventions — on the diagonal" — hidden layer 1 of the trained p = 0.5 network, as the page draws it."""
    t = default_runs[0]["p = 0.5"]
    h = do.hidden_before_dropout(t.model, t.dataset.x_val[:1])[0]  # (256,)
    assert (h > 0).sum() > 20  # a real layer, with many active units
    comp = do.compare_conventions(h, 0.5, passes=2000, seed=0)
    for name in do.CONVENTIONS:
        mean, inference = comp.train_mean[name], comp.inference[name]
        slope = float(mean @ inference / (inference @ inference))
        assert slope == pytest.approx(1.0, abs=0.02)
        np.testing.assert_allclose(mean, inference, rtol=0.12, atol=1e-6)  # each unit within ~4 σ


@pytest.mark.parametrize("seed", SEEDS)
def test_dropout_does_not_help_a_model_that_under_fits(seed):
    """"It does not help a model that under-fits — here, with 2 × 4 units instead of 2 × 256, p = 0.5
    ends with a higher validation loss than p = 0"."""
    c = Comparison.over(replace(DROPOUT.data, seed=seed), replace(DROPOUT.model, width=4),
                        replace(DROPOUT.train, seed=seed), "model.dropout", (0.0, 0.5))
    runs = run_all(c.trainers("cpu"))
    assert final(runs["0.5"], "val_loss") > final(runs["0.0"], "val_loss")


# ------------------------------------------------------------------ masks
def test_masks_keep_about_q_of_units_each_row_its_own_mask_redrawn_every_step(default_runs):
    trainer = replace(DROPOUT, train=replace(DROPOUT.train, steps=2)).trainers("cpu")["p = 0.5"]
    trainer.advance(1)
    first = do.last_mask(trainer.model)  # (batch, 256)
    trainer.advance(1)
    second = do.last_mask(trainer.model)
    assert first.shape == (32, 256)
    assert abs(first.mean() - 0.5) < 0.03
    assert len({row.tobytes() for row in first}) == len(first), "two examples shared a mask"
    assert (first != second).mean() > 0.4  # independent masks differ on half the entries at p = 0.5


# ------------------------------------------------------------------ the two conventions
def test_inverted_train_output_is_zero_or_scaled_by_one_over_q_and_eval_is_identity():
    x = torch.rand(1000) + 0.5
    y, mask = do.inverted_dropout(x, 0.3, torch.Generator().manual_seed(0))
    kept = mask.bool()
    assert torch.all(y[~kept] == 0)
    assert torch.allclose(y[kept], x[kept] / 0.7)
    assert torch.equal(do.inverted_dropout(x, 0.3, training=False)[0], x)


def test_both_conventions_agree_in_expectation():
    h = torch.rand(64) * 3  # (units,)
    comp = do.compare_conventions(h, 0.5, passes=20_000, seed=0)
    for name in do.CONVENTIONS:
        np.testing.assert_allclose(comp.train_mean[name], comp.inference[name], rtol=0.05, atol=0.02)
    np.testing.assert_allclose(comp.inference["classic"], 0.5 * comp.inference["inverted"], rtol=1e-6)


def test_classic_with_next_weights_divided_by_q_is_the_inverted_network():
    """The constant 1/q is absorbed by the next layer: same function in both modes."""
    g = torch.Generator().manual_seed(0)
    x, w, p = torch.randn(8, 16, generator=g), torch.randn(4, 16, generator=g), 0.4
    q = 1 - p
    inv = do.inverted_dropout(x, p, torch.Generator().manual_seed(3))[0] @ w.T  # (8, 4)
    cla = do.classic_dropout(x, p, torch.Generator().manual_seed(3))[0] @ (w / q).T
    torch.testing.assert_close(inv, cla)
    torch.testing.assert_close(do.inverted_dropout(x, p, training=False)[0] @ w.T,
                               do.classic_dropout(x, p, training=False)[0] @ (w / q).T)


def test_weight_scaling_is_exact_for_linear_and_only_approximate_after_a_nonlinearity():
    x, w = torch.ones(200_000, 10), torch.full((10,), 0.3)
    dropped = do.inverted_dropout(x, 0.5, torch.Generator().manual_seed(0))[0]  # (passes, 10)
    linear_mean, linear_eval = (dropped @ w).mean().item(), (x[0] @ w).item()
    assert abs(linear_mean - linear_eval) < 0.01 * linear_eval
    relu_mean, relu_eval = F.relu(dropped @ w - 3).mean().item(), F.relu(x[0] @ w - 3).item()
    assert relu_eval == 0.0 and relu_mean > 0.3  # E[f(z)] ≠ f(E[z]) once f bends


def test_inverted_dropout_keeps_the_mean_but_multiplies_the_variance_by_one_over_q():
    x = torch.randn(400_000, generator=torch.Generator().manual_seed(0))  # zero mean, variance 1
    y = do.inverted_dropout(x, 0.5, torch.Generator().manual_seed(1))[0]
    assert abs(y.mean().item()) < 0.01
    assert y.var().item() == pytest.approx(1 / 0.5, rel=0.02)


def test_forgetting_eval_mode_leaves_predictions_random():
    model = build(2, 2, ModelConfig(width=64, dropout=0.5), seed=0)
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.train()
        a, b = model(x), model(x)
        model.eval()
        c, d = model(x), model(x)
    assert not torch.allclose(a, b)
    assert torch.equal(c, d)


# ------------------------------------------------------------------ Monte-Carlo dropout
def test_mc_dropout_spread_is_largest_along_the_decision_boundary(default_runs):
    t = default_runs[0]["p = 0.5"]
    _, mean, std = do.mc_probability_grid(t.model, passes=30, n=40)
    near = np.abs(mean - 0.5) < 0.15
    inside = (mean < 0.05) | (mean > 0.95)
    assert near.sum() > 10 and inside.sum() > 100
    assert std[near].mean() > 5 * std[inside].mean()


def test_eval_mode_is_a_good_approximation_of_the_mc_average(default_runs):
    t = default_runs[0]["p = 0.5"]
    pred = do.mc_predict(t.model, t.dataset.x_val, passes=200, seed=0)
    assert np.abs(pred.mean - pred.deterministic).mean() < 0.05


def test_inverted_dropout_module_matches_nn_dropout_in_distribution():
    x = torch.full((200_000,), 2.0)
    ours, theirs = InvertedDropout(0.3, seed=0).train(), nn.Dropout(0.3).train()
    torch.manual_seed(0)  # nn.Dropout draws from the global generator; only this test touches it
    for y in (ours(x), theirs(x)):
        kept = y != 0
        assert kept.float().mean().item() == pytest.approx(0.7, abs=0.005)
        assert torch.allclose(y[kept], torch.tensor(2.0 / 0.7))
