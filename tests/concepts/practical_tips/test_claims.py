"""Claim tests: every sentence the Debugging page teaches that an experiment can check.

Each bug's broken run and its fix are trained once per seed for the whole module, through the
lab's own ``DebugTrainer`` (the shared ``Trainer`` with one bug switched on).
"""

import math

import numpy as np
import pytest
import torch

from dlcore.config import ModelConfig
from dlcore.labs import practical_tips as pt
from dlcore.models import build

SEEDS = (0, 1, 2)
LN10 = math.log(10)


@pytest.fixture(scope="module")
def pairs(one_thread):
    """{(bug, seed): (broken, fixed)} finished trainers."""
    out = {}
    for seed in SEEDS:
        for bug in pt.BUGS:
            broken, fixed = pt.pair(bug, seed=seed, device="cpu").values()
            out[bug, seed] = (broken.run(), fixed.run())
    return out


def last(trainer, attribute):
    return float(trainer.recorder.series(attribute)[-1])


def median_ratio(trainer):
    return float(np.nanmedian(trainer.recorder.layer_series("update_ratio")[1:]))


# ------------------------------------------------------------------ the broken runs
def test_correct_runs_start_at_ln10_and_unscaled_near_200_and_diverge(pairs):
    """"For 10 classes an untrained network should score about ln 10 ≈ 2.30 … This run starts near 200
    and diverges within a couple of steps; its gradient norm is hundreds of times the fixed run's"."""
    for seed in SEEDS:
        broken, fixed = pairs["unscaled", seed]
        assert abs(fixed.recorder.series("train_loss")[0] - LN10) < 0.1
        assert 100 < broken.recorder.series("train_loss")[0] < 400
        assert broken.diverged and broken.step <= 3
        g_broken = broken.recorder.layer_series("grad_norm")[0].max()
        g_fixed = fixed.recorder.layer_series("grad_norm")[0].max()
        assert g_broken > 100 * g_fixed
        assert last(fixed, "val_acc") > 0.93


def test_too_high_a_rate_collapses_to_ln10_with_most_relus_dead(pairs):
    """"The loss falls at first, then swings wildly — up to twice its starting value and more — and then
    sits at about ln 10 … validation accuracy near chance … Every ReLU unit of its second hidden layer
    is dead"."""
    for seed in SEEDS:
        broken, _ = pairs["lr_high", seed]
        assert not broken.diverged
        assert min(broken.losses[:10]) < 0.5 * broken.losses[0]
        assert max(broken.losses[:30]) > 1.9 * broken.losses[0]
        assert abs(np.mean(broken.losses[-50:]) - LN10) < 0.15
        assert last(broken, "val_acc") < 0.15
        assert broken.recorder.layer_series("act.dead_frac")[-1][1] == 1.0


def test_too_low_a_rate_barely_moves_and_the_update_ratio_shows_it(pairs):
    """"After 200 steps the loss is still above 2.2 … about 3·10⁻⁵ per step, where … the fixed run
    measures about 2·10⁻³"."""
    for seed in SEEDS:
        broken, fixed = pairs["lr_low", seed]
        assert last(broken, "train_loss") > 2.2
        assert 1e-5 < median_ratio(broken) < 6e-5
        assert 1e-3 < median_ratio(fixed) < 4e-3


def test_softmax_twice_has_a_floor_and_learns_slower(pairs):
    """"The training loss can never go below ln(1 + 9/e) ≈ 1.46 … the validation accuracy is 3 to 15
    points below the fixed run's"."""
    assert pt.SOFTMAX_TWICE_FLOOR == pytest.approx(1.46, abs=0.005)
    for seed in SEEDS:
        broken, fixed = pairs["softmax_twice", seed]
        assert min(broken.losses) >= pt.SOFTMAX_TWICE_FLOOR
        gap = last(fixed, "val_acc") - last(broken, "val_acc")
        assert 0.03 - 1e-6 <= gap <= 0.15, (seed, gap)


def test_softmax_twice_floor_is_reached_by_a_one_hot_probability():
    """"The best case is one probability 1 and nine 0"."""
    probs = torch.zeros(1, 10)
    probs[0, 0] = 1.0
    loss = torch.nn.functional.cross_entropy(probs, torch.tensor([0])).item()
    assert loss == pytest.approx(pt.SOFTMAX_TWICE_FLOOR, rel=1e-5)


def test_without_zero_grad_the_loss_falls_then_blows_up(pairs):
    """"The loss first falls, then … blows up (diverged within about 45–75 steps here); the
    update-to-weight ratio grows to about 0.1, a hundred times the healthy size"."""
    for seed in SEEDS:
        broken, fixed = pairs["no_zero_grad", seed]
        assert broken.diverged and 40 <= broken.step <= 80
        assert min(broken.losses) < 0.5 * broken.losses[0]
        assert 0.05 < median_ratio(broken) < 0.2 and median_ratio(broken) > 30 * median_ratio(fixed)


def test_forgetting_eval_changes_no_weight_only_the_measurement(pairs):
    """"Both runs here train exactly the same weights … validation accuracy is 5 to 20 points lower
    and changes every time you measure the same network; in eval mode it is one number"."""
    for seed in SEEDS:
        broken, fixed = pairs["no_eval", seed]
        assert broken.losses == fixed.losses
        assert all(torch.equal(a, b) for a, b in zip(broken.model.parameters(), fixed.model.parameters()))
        gap = last(fixed, "val_acc") - last(broken, "val_acc")
        assert 0.05 <= gap <= 0.20, (seed, gap)
        measured = pt.eval_vs_train_mode(broken, repeats=5)
        assert len(set(measured["eval mode"])) == 1
        assert len(set(measured["train mode (forgot eval())"])) > 1
        assert max(measured["train mode (forgot eval())"]) < measured["eval mode"][0] - 0.03


def test_batchnorm_in_train_mode_depends_on_the_batch_and_fails_on_one_example():
    """"With BatchNorm, train mode normalises each batch with its own mean and variance — a prediction
    then depends on the other examples in the batch, a batch of one fails outright"."""
    model = build(64, 10, ModelConfig(width=16, norm="batch"), seed=0)
    ds = pt.digits(0)
    x = ds.x_train[:8]
    with torch.no_grad():
        model.train()
        alone_ish = model(x[:4])[0]
        with_others = model(x)[0]
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            model(x[:1])
        model.eval()
        assert torch.equal(model(x[:4])[0], model(x)[0])
    assert not torch.allclose(alone_ish, with_others)


def test_the_naive_log_softmax_turns_inf_and_detect_anomaly_names_softmax_backward():
    """"The loss turns inf after some 75–130 steps (seeds 0, 1, 2) … the detective names SoftmaxBackward0
    and finds every gradient non-finite … the logits of that batch differ by hundreds"."""
    for seed in SEEDS:
        r = pt.nan_detective(seed=seed)
        assert r.step is not None and 70 <= r.step <= 130 and math.isinf(r.loss)
        assert "SoftmaxBackward0" in r.anomaly and "nan" in r.anomaly
        assert len(r.nonfinite_grads) == 6  # every weight and bias of the 2 × 64 MLP
        assert r.largest_logit_gap > 100


def test_the_stable_loss_stays_finite_at_the_same_rate_but_still_fails():
    """"F.cross_entropy at the same rate stays finite for the whole run — but its loss stays near ln 10,
    because the rate is still too high"."""
    for seed in SEEDS:
        r = pt.nan_detective(seed=seed, loss="cross_entropy")
        assert r.step is None and all(math.isfinite(v) for v in r.losses) and len(r.losses) == 200
        assert abs(np.mean(r.losses[-50:]) - LN10) < 0.15


def test_the_naive_broken_run_is_reported_as_diverged_with_an_inf_loss(pairs):
    """"The trainer of this app does the first part on every run ("diverged at step N")"."""
    broken, fixed = pairs["naive_log", 0]
    assert broken.diverged and "the loss became inf" in broken.message
    assert not fixed.diverged


# ------------------------------------------------------------------ the checks
def test_range_test_suggests_about_0_04_between_the_bad_rates():
    """"A tenth of the rate at the smoothed minimum, about 0.04 — close to the 0.05 the fixed runs use,
    with the too low and too high rates of the bugs on either side"."""
    for seed in SEEDS:
        rt = pt.lr_range_test(seed=seed)
        assert 0.03 <= rt.suggested <= 0.05
        assert pt.LR_LOW < rt.suggested < pt.LR_HIGH
        assert "4× its minimum" in rt.stopped
        assert rt.smoothed[-1] > 4 * rt.smoothed.min()


def test_range_test_loss_first_flat_then_falls_then_explodes():
    """"At first nothing happens (too low), then the loss falls, then it turns and explodes"."""
    rt = pt.lr_range_test(seed=0)
    early = rt.smoothed[rt.lrs < 1e-3]
    assert early.max() - early.min() < 0.1
    best = int(np.argmin(rt.smoothed))
    assert rt.smoothed[best] < 0.5 * rt.smoothed[0]
    assert rt.smoothed[-1] > 4 * rt.smoothed[best]


def test_over_fitting_one_batch_correct_gets_below_0_01_softmax_twice_stays_above_its_floor():
    """"The correct one gets below 0.01 in about 50 steps … the softmax-twice network is stuck above its
    floor of 1.46 on the very batch it trains on"."""
    for seed in SEEDS:
        losses = pt.overfit_one_batch(seed=seed)
        first_below = int(np.argmax(losses["correct"] < 0.01)) + 1
        assert losses["correct"][-1] < 0.01 and 35 <= first_below <= 70
        assert losses["softmax applied twice"].min() > pt.SOFTMAX_TWICE_FLOOR


def test_gradient_check_right_is_1e_10_wrong_is_about_0_4():
    """"The app's MLP and a sigmoid with the right backward agree to about 10⁻¹⁰; a sigmoid whose backward
    forgets the factor (1 − σ) is off by about 0.4. torch.autograd.gradcheck does the same comparison"."""
    errors = list(pt.gradient_check(0).values())
    assert errors[0] < 1e-8 and errors[1] < 1e-8
    assert 0.2 < errors[2] < 0.6
    assert pt.gradcheck_passes(buggy=False) and not pt.gradcheck_passes(buggy=True)
