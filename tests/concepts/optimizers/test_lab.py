"""Unit tests of dlcore.surfaces and dlcore.optimizers: gradients, update rules, Adam's state, configs."""


import numpy as np
import pytest
import torch

from dlcore.labs import optimizers as opt
from dlcore.labs.optimizers import SURFACES, Descent, DescentConfig, descend


@pytest.mark.parametrize("name", list(SURFACES))
def test_minima_are_stationary_points_with_the_stated_value(name):
    s = SURFACES[name]
    for mx, my in s.minima:
        p = torch.tensor([mx, my], dtype=torch.float64, requires_grad=True)
        f = s(p[0], p[1])
        (g,) = torch.autograd.grad(f, p)
        assert f.item() == pytest.approx(s.f_min, abs=1e-5)
        assert g.abs().max().item() < 1e-4


@pytest.mark.parametrize("name", list(SURFACES))
def test_default_start_lies_in_the_box_and_grid_matches_the_function(name):
    s = SURFACES[name]
    assert s.contains(*s.start)
    xs, ys, z = opt.grid(s, 7)
    assert z.shape == (7, 7)
    assert z[2, 5] == pytest.approx(s(torch.tensor(xs[5]), torch.tensor(ys[2])).item())


def test_sgd_path_follows_theta_minus_lr_grad():
    cfg = DescentConfig("rosenbrock", "sgd", 1e-3, -1.2, 1.0, steps=3)
    path = descend(cfg)
    theta = np.array([-1.2, 1.0])
    for k in range(3):
        x, y = theta
        g = np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])  # ∇f by hand
        theta = theta - 1e-3 * g
        np.testing.assert_allclose(path.points[k + 1], theta, rtol=1e-12)


def test_momentum_path_matches_pytorch_velocity_form():
    path = descend(DescentConfig("quadratic", "momentum", 0.05, -3.5, 1.0, steps=5))
    h = np.array([0.1, 10.0])  # the quadratic's curvatures: ∇f = h ⊙ θ
    theta, b = np.array([-3.5, 1.0]), np.zeros(2)
    for k in range(5):
        b = 0.9 * b + h * theta
        theta = theta - 0.05 * b
        np.testing.assert_allclose(path.points[k + 1], theta, rtol=1e-12)


def test_adam_trace_reproduces_the_update_from_its_state():
    trace = opt.adam_trace("himmelblau", 0.05, 0.0, 0.0, steps=10)
    b1, b2 = trace.betas
    t = trace.step[:, None]
    np.testing.assert_allclose(trace.m_hat, trace.m / (1 - b1**t))
    np.testing.assert_allclose(trace.v_hat, trace.v / (1 - b2**t))
    np.testing.assert_allclose(trace.delta, -0.05 * trace.m_hat / (np.sqrt(trace.v_hat) + 1e-8), rtol=1e-9)
    m, v = np.zeros(2), np.zeros(2)
    for k in range(10):  # the moments, by their definition, from the recorded gradients
        m = b1 * m + (1 - b1) * trace.grad[k]
        v = b2 * v + (1 - b2) * trace.grad[k] ** 2
    np.testing.assert_allclose(trace.m[-1], m)
    np.testing.assert_allclose(trace.v[-1], v)


def test_adam_effective_steps_equal_the_last_real_update():
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 3)
    optim = torch.optim.Adam(model.parameters(), lr=0.01)
    assert opt.adam_effective_steps(optim).size == 0
    x = torch.randn(8, 5, generator=torch.Generator().manual_seed(1))
    for _ in range(3):
        before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
        optim.zero_grad()
        model(x).pow(2).mean().backward()
        optim.step()
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    np.testing.assert_allclose(opt.adam_effective_steps(optim), (before - after).double().numpy(), rtol=1e-4, atol=1e-9)


def test_log_histogram_sums_to_one_and_keeps_the_overflow():
    edges, frac = opt.log_histogram(np.array([0.0, 1e-12, 1e-3, 5.0]), n_bins=8)
    assert len(edges) == 9 and frac.sum() == pytest.approx(1.0)
    assert frac[0] == pytest.approx(0.5) and frac[-1] == pytest.approx(0.25)


def test_divergence_is_reported_not_raised_and_steps_stop():
    d = Descent(DescentConfig("quadratic", "sgd", 10.0, -3.5, 1.0, steps=100))
    taken = d.advance(100)
    assert d.status == "diverged" and taken < 100
    assert d.advance(5) == 0
    t = d.trajectory()
    assert t.diverged and np.isfinite(t.points).all() and len(t.points) == len(t.losses)


def test_a_finished_run_has_steps_plus_one_points():
    t = descend(DescentConfig("saddle", "adam", 0.05, -1.8, 0.05, steps=17))
    assert t.status == "finished" and t.points.shape == (18, 2) and t.losses.shape == (18,)


@pytest.mark.parametrize("kwargs, words", [
    (dict(surface="moon"), "surface must be one of"),
    (dict(optimizer="lbfgs"), "optimizer must be one of"),
    (dict(lr=0.0), "learning rate"),
    (dict(lr=11.0), "learning rate"),
    (dict(x0=9.0), "start point must lie inside the plot"),
    (dict(steps=0), "steps"),
    (dict(weight_decay=-1.0), "weight decay"),
])
def test_bad_configs_raise_readable_value_errors(kwargs, words):
    with pytest.raises(ValueError, match=words):
        DescentConfig(**kwargs)


def test_schedule_curve_rejects_unknown_names_and_variants_carry_lr():
    with pytest.raises(ValueError, match="schedule must be one of"):
        opt.schedule_curve("exponential", 10)
    v = dict(opt.variants({"sgd": 0.1, "adam": 0.003}, 0.01))
    assert dict(v["Adam"]) == {"train.optimizer": "adam", "train.lr": 0.003, "train.weight_decay": 0.01}
