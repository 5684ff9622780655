"""Claim tests: every sentence of the Optimizers page that an experiment can check, checked."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore import MLPTrainer
from dlcore.experiments import run_all
from dlcore.labs import optimizers as opt
from dlcore.labs.optimizers import OPTIMIZERS, SURFACES, DescentConfig, descend, race, steps_to_reach

Q = SURFACES["quadratic"]
def _quad(name: str, lr: float, steps: int = 100, **kw):
    return descend(DescentConfig("quadratic", name, lr, *Q.start, steps=steps, **kw))


def test_sgd_zigzags_and_crawls_while_momentum_and_nesterov_reach_the_minimum_within_50_steps():
    paths = race("quadratic", Q.lrs)
    sgd = paths["sgd"]
    assert steps_to_reach(sgd, 0.01) is None and sgd.losses[-1] > 0.01
    y = sgd.points[:12, 1]
    assert np.all(np.sign(y[1:]) != np.sign(y[:-1])), "SGD should cross the valley at every step (zig-zag)"
    assert steps_to_reach(paths["momentum"], 0.01) <= 50
    assert steps_to_reach(paths["nesterov"], 0.01) <= 50


def test_sgd_is_stable_only_below_lr_0_2_on_the_quadratic():
    assert steps_to_reach(_quad("sgd", 0.18, 500), 1e-3) is not None
    bouncing = _quad("sgd", 0.2, 100)
    assert not bouncing.diverged
    np.testing.assert_allclose(np.abs(bouncing.points[:, 1]), abs(Q.start[1]), rtol=1e-9)  # y0, −y0, y0, …
    diverged = _quad("sgd", 0.3)
    assert diverged.diverged and "diverged at step" in diverged.message
    assert np.isfinite(diverged.points).all()


@pytest.mark.parametrize("lr", [0.05, 0.18])
def test_at_the_same_lr_momentum_reaches_the_loss_in_less_than_half_the_steps_of_sgd(lr):
    sgd = steps_to_reach(_quad("sgd", lr, 600), 0.01)
    momentum = steps_to_reach(_quad("momentum", lr, 600), 0.01)
    assert sgd is not None and momentum is not None
    assert momentum < sgd / 2


def test_adam_first_step_is_lr_per_coordinate_although_the_y_gradient_is_almost_30_times_larger():
    trace = opt.adam_trace("quadratic", 0.1, *Q.start, steps=1)
    g = np.abs(trace.grad[0])
    assert 25 < g[1] / g[0] < 30
    np.testing.assert_allclose(np.abs(trace.delta[0]), 0.1, rtol=1e-6)


def test_without_bias_correction_adams_first_step_would_be_3_162_times_lr():
    assert opt.uncorrected_first_step_factor() == pytest.approx(3.1623, abs=1e-4)
    trace = opt.adam_trace("rosenbrock", 0.01, -1.2, 1.0, steps=1)
    np.testing.assert_allclose(np.abs(trace.uncorrected[0]) / 0.01, 3.1623, rtol=1e-4)
    np.testing.assert_allclose(np.abs(trace.delta[0]) / 0.01, 1.0, rtol=1e-6)


def test_bias_corrections_fade_at_different_speeds_after_44_steps():
    trace = opt.adam_trace("quadratic", 0.01, *Q.start, steps=44)
    m_ratio = trace.m_hat[-1] / trace.m[-1]
    v_ratio = trace.v_hat[-1] / trace.v[-1]
    assert np.all((m_ratio > 1) & (m_ratio < 1.01))
    np.testing.assert_allclose(v_ratio, 23.2, rtol=0.01)


def test_rmsprop_first_step_is_10_times_lr():
    """"PyTorch starts v at 0, so the first step is η/√(1 − α) = 10·η per coordinate"."""
    path = _quad("rmsprop", 0.01, steps=1)
    np.testing.assert_allclose(np.abs(path.points[1] - path.points[0]), 0.1, rtol=1e-6)


def test_adagrad_steps_shrink_as_squared_gradients_accumulate():
    """"Adagrad: G ← G + g², θ ← θ − η·g / (√G + ε) … G sums every squared gradient so far, so each
    coordinate's steps shrink as they accumulate; first step η per coordinate" — the app's Adagrad,
    built by make_optimizer, on the quadratic."""
    lr = 0.3
    deltas, sums = opt.adagrad_steps("quadratic", lr, *Q.start, steps=60)
    np.testing.assert_allclose(deltas[0], lr, rtol=1e-6)  # G = g²: η·|g|/|g|
    assert np.all(np.diff(sums, axis=0) > 0)  # G only grows …
    assert np.all(np.diff(deltas[:, 0]) < 0) and np.all(np.diff(deltas[:12, 1]) < 0)  # … so steps shrink
    g = np.sqrt(np.diff(sums, axis=0, prepend=0))  # |g_t| = √(G_t − G_(t−1))
    np.testing.assert_allclose(deltas, lr * g / (np.sqrt(sums) + 1e-10), rtol=1e-6, atol=1e-10)


def test_adagrad_reaches_the_quadratic_minimum_at_lr_0_3_but_stalls_at_0_05():
    """"With η = 0.3 it still reaches f ≤ 0.01 (in about 70 steps); with η = 0.05 its steps have
    shrunk so much that after 100 steps it is far from the minimum"."""
    assert 60 <= steps_to_reach(_quad("adagrad", 0.3), 0.01) <= 80
    slow = _quad("adagrad", 0.05)
    assert steps_to_reach(slow, 0.01) is None and slow.losses[-1] > 0.5


def test_nesterov_is_not_momentum_first_step_1_plus_mu_and_both_settle_at_lr_over_1_minus_mu(monkeypatch):
    """"Nesterov: b ← μ·b + g, θ ← θ − η·(g + μ·b)"; "With μ = 0.9 the steady step is η/(1 − μ) = 10·η"
    — on a plane of constant slope, the app's Momentum and Nesterov."""
    plane = replace(Q, name="plane", fn=lambda x, y: x + 0 * y)
    monkeypatch.setitem(SURFACES, "plane", plane)
    lr = 1e-4
    paths = {n: descend(DescentConfig("plane", n, lr, 0.0, 0.0, steps=300)) for n in ("momentum", "nesterov")}
    steps = {n: -np.diff(p.points[:, 0]) for n, p in paths.items()}
    assert steps["momentum"][0] == pytest.approx(lr, rel=1e-9)  # b = g
    assert steps["nesterov"][0] == pytest.approx(lr * 1.9, rel=1e-9)  # g + μ·b = 1.9·g
    assert steps["momentum"][1] == pytest.approx(lr * 1.9, rel=1e-9)
    assert steps["nesterov"][1] == pytest.approx(lr * (1 + 0.9 * 1.9), rel=1e-9)  # one step ahead
    for n in ("momentum", "nesterov"):
        assert steps[n][-1] == pytest.approx(10 * lr, rel=1e-6)


def test_the_apps_adam_uses_beta2_0_999():
    """"β₁ = 0.9, β₂ = 0.999" — as make_optimizer wires Adam and AdamW."""
    from dlcore.config import TrainConfig
    from dlcore.trainer import make_optimizer

    for name in ("adam", "adamw"):
        group = make_optimizer(TrainConfig(optimizer=name), [torch.zeros(1, requires_grad=True)]).param_groups[0]
        assert group["betas"] == (0.9, 0.999)


def test_adam_path_does_not_change_when_the_loss_is_multiplied_by_1000(monkeypatch):
    monkeypatch.setitem(SURFACES, "scaled", replace(Q, name="scaled", fn=lambda x, y: 1000 * Q.fn(x, y)))
    plain = descend(DescentConfig("quadratic", "adam", 0.1, *Q.start, steps=100))
    scaled = descend(DescentConfig("scaled", "adam", 0.1, *Q.start, steps=100))
    np.testing.assert_allclose(scaled.points, plain.points, atol=1e-5)
    sgd_plain = descend(DescentConfig("quadratic", "sgd", 1e-4, *Q.start, steps=1))
    sgd_scaled = descend(DescentConfig("scaled", "sgd", 1e-4, *Q.start, steps=1))
    step = lambda t: np.abs(t.points[1] - t.points[0])  # noqa: E731
    np.testing.assert_allclose(step(sgd_scaled), 1000 * step(sgd_plain), rtol=1e-9)


def test_on_the_saddle_a_start_at_y0_0_never_escapes_and_y0_0_05_escapes_with_adaptive_methods_first():
    """"Set y₀ = 0: no optimizer ever leaves the line y = 0 … SGD, Momentum, Nesterov, Adam and AdamW
    reach it (|x| < 0.01) within the 100 steps; RMSProp (η = 0.01) and Adagrad (η = 0.1) are still on
    their way, at x ≈ −0.32 and −0.41, and reach it within 500. With y₀ = 0.05 they all escape;
    Adagrad, RMSProp and Adam first" — every optimizer of the page, on the page's race."""
    s = SURFACES["saddle"]
    stuck = race("saddle", s.lrs, (-1.8, 0.0), 100)
    assert set(stuck) == set(opt.LABELS)
    for path in stuck.values():
        assert np.all(path.points[:, 1] == 0.0)
    for name in ("sgd", "momentum", "nesterov", "adam", "adamw"):
        assert abs(stuck[name].points[-1, 0]) < 0.01, name  # slid to the saddle point
    assert stuck["rmsprop"].points[-1, 0] == pytest.approx(-0.32, abs=0.02)
    assert stuck["adagrad"].points[-1, 0] == pytest.approx(-0.41, abs=0.02)
    for path in race("saddle", s.lrs, (-1.8, 0.0), 500).values():
        assert abs(path.points[-1, 0]) < 0.01 and np.all(path.points[:, 1] == 0.0)
    free = race("saddle", s.lrs, (-1.8, 0.05), 100)
    escape = {k: int(np.nonzero(np.abs(t.points[:, 1]) > 0.5)[0][0]) for k, t in free.items()}
    for path in free.values():
        assert abs(path.points[-1, 1]) > 1.3  # near a minimum at y = ±√2
    assert max(escape["adagrad"], escape["rmsprop"], escape["adam"]) < min(
        escape["sgd"], escape["momentum"], escape["nesterov"])


def test_on_himmelblau_the_sgd_family_and_the_adaptive_optimizers_end_in_different_minima():
    paths = race("himmelblau", SURFACES["himmelblau"].lrs)
    lower_left, upper_left = np.array([-3.779310, -3.283186]), np.array([-2.805118, 3.131312])
    for name in ("sgd", "momentum", "nesterov"):
        assert np.linalg.norm(paths[name].points[-1] - lower_left) < 0.1, name
    for name in ("adagrad", "rmsprop", "adam"):
        assert np.linalg.norm(paths[name].points[-1] - upper_left) < 0.1, name


def test_on_rosenbrock_adam_gets_close_to_1_1_with_f_50_times_lower_than_sgd():
    paths = race("rosenbrock", {k: SURFACES["rosenbrock"].lrs[k] for k in ("sgd", "adam")})
    assert np.linalg.norm(paths["adam"].points[-1] - 1.0) < 0.4
    assert paths["sgd"].losses[-1] > 50 * paths["adam"].losses[-1]


@pytest.fixture(scope="module")
def digits_runs():
    return run_all(OPTIMIZERS.trainers("cpu"))


def test_on_digits_every_optimizer_passes_90_percent_and_adam_loss_is_several_times_lower_than_sgd(digits_runs):
    """"With each one's default η, every optimizer — all seven — passes 90 % validation accuracy in
    200 steps, and Adam's training loss ends several times lower than SGD's"."""
    last = {k: t.recorder.records[-1] for k, t in digits_runs.items()}
    assert set(last) == set(opt.LABELS.values()) and len(last) == 7
    for name, r in last.items():
        assert r.val_acc > 0.9, name
        assert digits_runs[name].step == 200
    assert last["Adam"].train_loss < last["SGD"].train_loss / 3


def test_with_weight_decay_0_adam_and_adamw_coincide_exactly(digits_runs):
    adam, adamw = digits_runs["Adam"], digits_runs["AdamW"]
    assert adam.losses == adamw.losses
    for p, q in zip(adam.model.parameters(), adamw.model.parameters()):
        assert torch.equal(p, q)


def test_nearly_all_of_adams_per_weight_steps_are_smaller_than_lr(digits_runs):
    adam = digits_runs["Adam"]
    steps = np.abs(opt.adam_effective_steps(adam.optimizer))
    assert steps.size == sum(p.numel() for p in adam.model.parameters())
    assert np.mean(steps < opt.current_lr(adam.optimizer)) > 0.95


def test_adamw_shrinks_weights_by_lr_times_wd_per_step_while_adams_l2_moves_each_weight_by_about_lr():
    """"AdamW: θ ← θ − η·λ·θ, then the Adam step … Adam's weight_decay adds λ·θ to g instead, so the
    decay is divided by √v̂ like any gradient" — the app's optimizers, built by make_optimizer."""
    from dlcore.config import TrainConfig
    from dlcore.trainer import make_optimizer

    lr, wd = 0.01, 0.1
    results = {}
    for name in ("adam", "adamw"):
        theta = torch.tensor([1.0, 10.0], dtype=torch.float64, requires_grad=True)
        optim = make_optimizer(TrainConfig(optimizer=name, lr=lr, weight_decay=wd), [theta])
        for _ in range(3):
            optim.zero_grad()
            (0 * theta).sum().backward()  # the loss has zero gradient: only the decay acts
            optim.step()
        results[name] = theta.detach().numpy()
    np.testing.assert_allclose(results["adamw"], np.array([1.0, 10.0]) * (1 - lr * wd) ** 3, rtol=1e-12)
    np.testing.assert_allclose(np.array([1.0, 10.0]) - results["adam"], 3 * lr, rtol=1e-3)  # same for 1 and 10


def test_the_chosen_schedule_is_the_one_the_run_uses(digits_runs):
    """"The one you pick is the one the run uses: with step, every η drops ten-fold at half-way;
    cosine ends near zero; warm-up starts at η/20 (on 200 steps) and rises over the first 10 %" —
    the rate the run's optimizer really holds, against values written out from the sentence."""
    base = OPTIMIZERS
    cfgs = base.configs()["SGD"]
    lr, n = cfgs[2].lr, 40
    expected = {
        "step": [lr] * 20 + [lr / 10] * 10 + [lr / 100] * 10,  # ÷10 at 50 %, ÷100 at 75 %
        "cosine": [lr * 0.5 * (1 + np.cos(np.pi * s / n)) for s in range(n)],
        "warmup_cosine": [lr * (s + 1) / 4 for s in range(4)]
        + [lr * 0.5 * (1 + np.cos(np.pi * (s / n - 0.1) / 0.9)) for s in range(4, n)],
    }
    for schedule, want in expected.items():
        trainer = MLPTrainer(cfgs[0], cfgs[1], replace(cfgs[2], schedule=schedule, steps=n),
                             dataset=digits_runs["SGD"].dataset)
        seen = []
        for _ in range(n):
            seen.append(opt.current_lr(trainer.optimizer))
            trainer.advance(1)
        np.testing.assert_allclose(seen, want, rtol=1e-9)
    assert expected["cosine"][n // 2] == pytest.approx(lr / 2) and expected["cosine"][n // 4] > 0.85 * lr
    step = opt.schedule_curve("step", 200)
    assert step[99] == 1.0 and step[100] == pytest.approx(0.1)
    assert opt.schedule_curve("cosine", 200)[-1] < 1e-3
    warm = opt.schedule_curve("warmup_cosine", 200)
    assert warm[0] == pytest.approx(1 / 20) and warm[19] == pytest.approx(1.0) and np.all(np.diff(warm[:20]) > 0)


def test_adamw_applies_the_decay_before_the_adam_step():
    """"AdamW: θ ← θ − η·λ·θ, then the Adam step (PyTorch applies it before the Adam step)" — one step of
    the app's AdamW from θ = 1 with gradient 1: 1·(1 − ηλ) − η = 0.89, not (1 − η)·(1 − ηλ) = 0.891."""
    from dlcore.config import TrainConfig
    from dlcore.trainer import make_optimizer

    theta = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    optim = make_optimizer(TrainConfig(optimizer="adamw", lr=0.1, weight_decay=0.1), [theta])
    theta.sum().backward()
    optim.step()
    assert theta.item() == pytest.approx(1.0 * (1 - 0.1 * 0.1) - 0.1, abs=1e-7)
