"""Claim tests: each sentence the Backpropagation page teaches, checked by a small experiment.

The docstring of each test quotes (or paraphrases) the sentence of assets/pages/backprop.md it backs.
"""

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcore.config import ModelConfig
from dlcore.labs import backprop as bp
from dlcore.models import build

COMBOS = [(a, loss) for a in bp.HIDDEN_ACTIVATIONS for loss in bp.LOSSES]


@pytest.mark.parametrize("activation,loss", COMBOS)
@pytest.mark.parametrize("hidden", [1, 2, 3])
def test_three_ways_one_answer(activation, loss, hidden):
    """'The hand chain rule and PyTorch autograd agree to rounding (never above 1e-12); finite
    differences agree to about 1e-10 (never above 1e-8).'"""
    fd_errors = []
    for seed in range(3):
        cfg = bp.TinyNetConfig(x1=0.7, x2=-1.3, target=0.8, hidden=hidden, activation=activation, loss=loss, seed=seed)
        for row in bp.gradients_three_ways(cfg):
            assert abs(row.chain_rule - row.autograd) <= 1e-12, row
            assert abs(row.chain_rule - row.finite_difference) <= 1e-8, row
            fd_errors.append(abs(row.chain_rule - row.finite_difference))
    assert np.median(fd_errors) < 1e-9  # about 1e-10
    assert max(fd_errors) > 1e-12  # yet not exact: finite differences are approximate


def test_a_wrong_local_derivative_would_be_caught(monkeypatch):
    """The check has teeth: a tanh slope of 1 − h (instead of 1 − h²) disagrees with autograd."""
    real = bp.activation_and_slope

    def broken(name, z):
        h, slope, formula = real(name, z)
        return h, 1 - h, formula

    monkeypatch.setattr(bp, "activation_and_slope", broken)
    rows = bp.gradients_three_ways(bp.TinyNetConfig(activation="tanh"))
    assert max(abs(r.chain_rule - r.autograd) for r in rows) > 1e-2


def test_gradients_add_where_paths_meet():
    """'x₁ feeds every hidden unit, so ∂L/∂x₁ is a sum with one term per unit.'"""
    cfg = bp.TinyNetConfig(hidden=3, seed=2)
    f = bp.forward(cfg)
    bp.backward(f.loss)
    n = f.nodes
    terms = [n[f"z{bp.sub(j)}"].grad * n[f"w{bp.sub(j)}₁"].data for j in (1, 2, 3)]
    assert n["x₁"].grad == pytest.approx(sum(terms), abs=1e-14)
    assert min(abs(t) for t in terms) > 1e-3  # every unit really contributes
    x = torch.tensor([cfg.x1, cfg.x2], dtype=torch.float64, requires_grad=True)
    leaves = {k: torch.tensor(v, dtype=torch.float64) for k, v in bp.init_params(cfg).items()}
    bp.torch_loss(cfg, leaves, x).backward()
    assert n["x₁"].grad == pytest.approx(x.grad[0].item(), abs=1e-12)


def test_a_relu_unit_that_is_off_gets_exactly_zero_gradient():
    """'A ReLU unit with z < 0: h is 0, and the gradients of its w and b are exactly 0 in all
    three columns.'"""
    cfg = bp.TinyNetConfig(activation="relu", x1=1.0, x2=-0.5, seed=0)  # z₁ = −0.49 here
    f = bp.forward(cfg)
    assert f.nodes["z₁"].data < 0 and f.nodes["h₁"].data == 0.0
    rows = {r.name: r for r in bp.gradients_three_ways(cfg)}
    for name in ("w₁₁", "w₁₂", "b₁", "v₁"):
        assert rows[name].chain_rule == 0.0 and rows[name].autograd == 0.0 and rows[name].finite_difference == 0.0
    assert abs(rows["c"].chain_rule) > 0.1  # the rest of the network still learns


def test_sigmoid_passes_at_most_a_quarter_of_the_gradient():
    """'Sigmoid's local derivative h(1 − h) is at most 0.25: the gradient that reaches z is at most a
    quarter of the one that reached h.'"""
    ratios = []
    for seed in range(20):
        for x1 in (-2.0, 0.0, 1.5):
            f = bp.forward(bp.TinyNetConfig(activation="sigmoid", x1=x1, seed=seed, hidden=3))
            bp.backward(f.loss)
            for j in (1, 2, 3):
                h, z = f.nodes[f"h{bp.sub(j)}"], f.nodes[f"z{bp.sub(j)}"]
                assert abs(z.grad) <= 0.25 * abs(h.grad) + 1e-15
                ratios.append(abs(z.grad) / max(abs(h.grad), 1e-300))
    assert max(ratios) > 0.24  # the bound is reached near z = 0: it is tight


@pytest.mark.parametrize("o,y", [(-3.0, 1.0), (0.4, 0.0), (2.0, 0.7)])
def test_loss_gradient_at_the_output(o, y):
    """'∂L/∂o = 2(o − y) for MSE, σ(o) − y for binary cross-entropy on σ(o)' (and both as autograd says)."""
    for loss, expected in (("mse", 2 * (o - y)), ("bce", 1 / (1 + np.exp(-o)) - y)):
        node = bp.Value(o, "o")
        bp.backward(bp.loss_of(node, y, loss))
        t = torch.tensor(o, dtype=torch.float64, requires_grad=True)
        ref = F.mse_loss if loss == "mse" else F.binary_cross_entropy_with_logits
        ref(t, torch.tensor(y, dtype=torch.float64)).backward()
        assert node.grad == pytest.approx(expected, abs=1e-12) and node.grad == pytest.approx(t.grad.item(), abs=1e-12)


def test_a_whole_path_is_the_product_of_its_local_derivatives():
    """'Where there is a single path, the gradient is the whole product from L down.'"""
    walk = bp.walkthrough(bp.TinyNetConfig(activation="sigmoid", loss="bce", seed=3))
    n = walk.forward.nodes
    product = n["L"].local[0] * n["v₂"].data * n["h₂"].local[0] * n["x₂"].data  # ∂L/∂o · ∂o/∂h₂ · ∂h₂/∂z₂ · ∂z₂/∂w₂₂
    assert n["w₂₂"].grad == pytest.approx(product, rel=1e-12)
    single = {v.node for v in walk.visits if v.chain}  # x₁, x₂ have two paths; L, o, h, v, c are one step away
    assert single == {"w₁₁", "w₁₂", "b₁", "w₂₁", "w₂₂", "b₂", "z₁", "z₂"}


def test_small_gradient_steps_go_downhill_by_eta_times_grad_norm_squared():
    """'A step θ ← θ − η·∂L/∂θ with a small learning rate lowers the loss by about η·‖∂L/∂θ‖².'"""
    for cfg in (bp.TinyNetConfig(), bp.TinyNetConfig(activation="relu", loss="bce", seed=5)):
        params, grads = bp.init_params(cfg), bp.hand_gradients(cfg)
        eta = 1e-3
        stepped = {k: params[k] - eta * grads[k] for k in params}
        drop = bp.loss_value(cfg, params) - bp.loss_value(cfg, stepped)
        predicted = eta * sum(g * g for g in grads.values())
        assert drop > 0 and drop == pytest.approx(predicted, rel=0.05)
        uphill = {k: params[k] + eta * grads[k] for k in params}
        assert bp.loss_value(cfg, uphill) > bp.loss_value(cfg, params)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_default_training_learns_xor(seed):
    """'With the defaults (tanh, MSE, learning rate 0.3, 400 steps) the loss falls below 0.1 and at
    least 90 % of the XOR points end up on the right side. Watch the gradients shrink as the loss does.'"""
    t = bp.ScalarTrainer(replace(bp.BACKPROP_NET, seed=seed), replace(bp.BACKPROP_TRAIN, seed=seed)).run()
    assert t.status == "finished" and t.losses[-1] < 0.1 and t.train_accuracy() >= 0.9
    grad_size = np.abs(t.series()["grads"]).mean(axis=1)  # (steps,)
    assert grad_size[-20:].mean() < 0.2 * grad_size[:20].mean()


@pytest.mark.parametrize("lr", [0.1, 0.3, 1.0])
def test_one_hidden_unit_cannot_learn_xor(lr):
    """'With 1 hidden unit the network draws a single straight line: XOR needs two, and the accuracy
    stays at or below 80 %.' (The same runs with 2 units get above 90 %: see the test above.)"""
    for seed in range(3):
        t = bp.ScalarTrainer(bp.TinyNetConfig(hidden=1, seed=seed), replace(bp.BACKPROP_TRAIN, lr=lr, steps=600)).run()
        assert t.train_accuracy() <= 0.8


@pytest.mark.parametrize("activation", bp.HIDDEN_ACTIVATIONS)
def test_mse_diverges_at_a_large_learning_rate_and_bce_does_not(activation):
    """'With MSE a learning rate of 3 or 10 diverges within a few steps (the page says at which); with
    binary cross-entropy the same rates do not blow up: its gradient σ(o) − y never exceeds 1 in size.'"""
    for lr in (3.0, 10.0):
        for seed in range(2):
            train = replace(bp.BACKPROP_TRAIN, lr=lr, seed=seed, steps=150)
            mse = bp.ScalarTrainer(bp.TinyNetConfig(activation=activation, seed=seed), train).run()
            assert mse.diverged and mse.step <= 10 and mse.message.startswith(f"diverged at step {mse.step}")
            bce = bp.ScalarTrainer(bp.TinyNetConfig(activation=activation, loss="bce", seed=seed), train).run()
            assert bce.status == "finished" and np.isfinite(bce.losses).all()
    # "its gradient σ(o) − y never exceeds 1 in size": the engine's ∂L/∂o for BCE, at extreme outputs
    for o in (-1e3, -30.0, 0.0, 30.0, 1e3):
        for y in (0.0, 1.0):
            out = bp.Value(o, "o", "sum")
            loss = bp.loss_of(out, y, "bce")
            bp.backward(loss)
            assert out.grad == pytest.approx(bp.sigmoid(o) - y, abs=1e-12) and abs(out.grad) <= 1


def test_backward_visits_every_node_exactly_once():
    """Table, 'Cost': 'one visit per node' for the forward pass (operations) and for the backward pass."""
    walk = bp.walkthrough(bp.TinyNetConfig(hidden=3))
    back = [v.node for v in walk.visits if v.phase == "backward"]
    assert len(back) == len(set(back)) and set(back) == set(walk.forward.nodes)  # each once, none missed
    order = bp.backward(bp.forward(bp.TinyNetConfig(hidden=3)).loss)
    assert len(order) == len({id(n) for n in order}) == len(walk.forward.nodes)
    fwd = [v.node for v in walk.visits if v.phase == "forward"]
    assert sorted(fwd) == sorted(n for n, v in walk.forward.nodes.items() if v.parents)


def test_finite_differences_need_two_forward_passes_per_parameter(monkeypatch):
    """'Finite differences need two forward passes per parameter'; backprop one backward pass for all."""
    calls = []
    real = bp.loss_value
    monkeypatch.setattr(bp, "loss_value", lambda cfg, p: calls.append(1) or real(cfg, p))
    cfg = bp.TinyNetConfig(hidden=3)
    bp.finite_difference_gradients(cfg)
    assert len(calls) == 2 * len(bp.param_names(3))


def _mlp_and_batch(dtype):
    model = build(3, 2, ModelConfig(depth=2, width=3, activation="tanh"), seed=0).to(dtype)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(8, 3, generator=g, dtype=dtype), torch.randint(0, 2, (8,), generator=g)  # (8, 3), (8,)
    return model, x, y


def _fd_error(dtype, eps) -> float:
    """Max |finite difference − float64 autograd| over every parameter of the app's MLP."""
    model, x, y = _mlp_and_batch(torch.float64)
    F.cross_entropy(model(x), y).backward()
    ref = [p.grad.clone() for p in model.parameters()]
    model, x = model.to(dtype), x.to(dtype)
    err = 0.0
    with torch.no_grad():
        for p, r in zip(model.parameters(), ref):
            flat = p.view(-1)
            for i in range(flat.numel()):
                old = flat[i].item()
                flat[i] = old + eps
                up = F.cross_entropy(model(x), y).item()
                flat[i] = old - eps
                down = F.cross_entropy(model(x), y).item()
                flat[i] = old
                err = max(err, abs((up - down) / (2 * eps) - r.view(-1)[i].item()))
    return err


def test_the_apps_mlp_gradients_match_finite_differences_in_float64():
    """Gradient checking on dlcore.models.MLP: float64 central differences agree with autograd."""
    assert _fd_error(torch.float64, 1e-6) < 1e-8


def test_float32_is_too_coarse_for_gradient_checking():
    """'In float32 the difference quotient loses most of its digits to rounding (errors of 1e-5 to
    1e-2 depending on ε, against about 1e-10 in float64).'"""
    f64 = _fd_error(torch.float64, 1e-6)
    f32 = {eps: _fd_error(torch.float32, eps) for eps in (1e-2, 1e-3, 1e-6)}
    assert min(f32.values()) > 1e-6 and min(f32.values()) > 1000 * f64
    assert f32[1e-6] > 1e-3  # the float64 choice of ε is hopeless in float32


def test_zero_grad_sets_gradients_to_none_and_skipping_it_accumulates():
    """'PyTorch adds new gradients into .grad … zero_grad() sets each .grad to None (the default since
    PyTorch 2.0) … skipping it on purpose for k steps is gradient accumulation' — the app's MLP and
    the app's trainer, which clears with set_to_none=True before every step."""
    from dlcore import MLPTrainer
    from dlcore.config import DataConfig, TrainConfig

    model, x, y = _mlp_and_batch(torch.float64)
    F.cross_entropy(model(x[:4]), y[:4]).backward()
    first = model.head.weight.grad.clone()
    F.cross_entropy(model(x[4:]), y[4:]).backward()  # no zero_grad: the two batches add up
    model2, _, _ = _mlp_and_batch(torch.float64)
    (F.cross_entropy(model2(x[:4]), y[:4]) + F.cross_entropy(model2(x[4:]), y[4:])).backward()
    torch.testing.assert_close(model.head.weight.grad, model2.head.weight.grad)
    assert not torch.allclose(model.head.weight.grad, first)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()  # the default: set to None, not zero
    assert all(p.grad is None for p in model.parameters())
    t = MLPTrainer(DataConfig(name="xor", n_samples=40), ModelConfig(depth=1, width=4), TrainConfig(steps=2))
    assert all(p.grad is None for p in t.model.parameters())  # after its step-0 measurement


def test_relu_at_its_kink_autograd_says_0_and_finite_differences_say_half():
    """'Is ReLU differentiable at 0? No. Frameworks use 0 there; finite differences straddling the
    kink give ½.'"""
    cfg = bp.TinyNetConfig(activation="relu", hidden=2)
    params = bp.init_params(cfg)
    w1, w2, b = (f"w{bp.sub(1)}{bp.sub(1)}", f"w{bp.sub(1)}{bp.sub(2)}", f"b{bp.sub(1)}")
    params[b] = -(params[w1] * cfg.x1 + params[w2] * cfg.x2)  # hidden unit 1 sits exactly on the kink
    hand, auto = bp.hand_gradients(cfg, params), bp.autograd_gradients(cfg, params)
    fd = bp.finite_difference_gradients(cfg, params)
    assert hand[b] == 0.0 and auto[b] == 0.0  # the engine and PyTorch both use slope 0 at z = 0
    # the engine's finite differences straddle the kink: half of the slope-1 gradient
    params_on = dict(params, **{b: params[b] + 1.0})  # the same unit, switched on
    full = bp.hand_gradients(cfg, params_on)[b]  # ∂L/∂b with slope 1 (v₁·∂L/∂o)
    v, c = f"v{bp.sub(1)}", "c"
    assert full == pytest.approx(bp.hand_gradients(cfg, params_on)[c] * params[v], rel=1e-12)
    assert fd[b] == pytest.approx(0.5 * bp.hand_gradients(cfg, params)[c] * params[v], rel=1e-6)


def test_softmax_cross_entropy_gradient_is_p_minus_y():
    """'∂L/∂z for softmax + cross-entropy is p − y.'"""
    logits = torch.tensor([[2.0, -1.0, 0.5]], dtype=torch.float64, requires_grad=True)
    F.cross_entropy(logits, torch.tensor([1])).backward()
    expected = torch.softmax(logits.detach(), dim=1) - torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(logits.grad, expected, atol=1e-12)


def _saved_bytes(depth: int, batch: int) -> int:
    """Bytes of activations autograd keeps for the backward pass in one forward pass of the app's MLP."""
    model = build(2, 2, ModelConfig(depth=depth, width=16, activation="tanh"), seed=0)
    x = torch.randn(batch, 2, generator=torch.Generator().manual_seed(0))  # (batch, 2)
    total = []

    def pack(t):
        is_activation = t.dim() == 2 and t.shape[0] == batch  # not a weight (out, in) kept for the backward
        total.append(t.numel() * t.element_size() if is_activation else 0)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x).sum()
    return sum(total)


def test_backprop_memory_grows_with_depth_times_batch():
    """'It needs the forward activations, so training memory grows with depth × batch size.'"""
    base = _saved_bytes(4, 64)
    assert _saved_bytes(8, 64) / base > 1.8  # twice the depth: about twice the saved activations
    assert _saved_bytes(4, 128) / base > 1.8  # twice the batch: the same


def test_forward_mode_needs_one_pass_per_parameter_reverse_mode_one_pass():
    """'Forward mode costs one pass per input variable; reverse mode one pass per output.'"""
    cfg = bp.TinyNetConfig()
    names = list(bp.init_params(cfg))
    theta = torch.tensor([bp.init_params(cfg)[n] for n in names], dtype=torch.float64)  # (9,)
    x = torch.tensor([cfg.x1, cfg.x2], dtype=torch.float64)

    def loss(t):
        return bp.torch_loss(cfg, dict(zip(names, t.unbind())), x)

    forward_mode = [torch.func.jvp(loss, (theta,), (e,))[1] for e in torch.eye(len(names), dtype=torch.float64)]
    (reverse_mode,) = torch.autograd.grad(loss(theta.requires_grad_(True)), theta)  # one backward pass: all 9
    # one forward-mode pass gives one directional derivative: the 9 passes together equal one backward
    assert torch.allclose(torch.stack(forward_mode), reverse_mode, atol=1e-12)
    one_pass = torch.func.jvp(loss, (theta.detach(),), (torch.ones_like(theta),))[1]
    assert one_pass.numel() == 1 and torch.allclose(one_pass, reverse_mode.sum())  # a single number, not 9


def test_many_local_derivatives_below_one_vanish_the_gradient_above_one_explode_it():
    """'A gradient multiplies local derivatives along each path: many factors below 1 (saturated
    sigmoids) vanish it, factors above 1 explode it.'"""
    z = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    h = z
    for _ in range(10):
        h = torch.sigmoid(h)  # each local derivative ≤ 0.25
    h.backward()
    assert 0 < z.grad.item() <= 0.25**10
    u = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    out = u
    for _ in range(10):
        out = 1.5 * out  # each local derivative 1.5
    out.backward()
    assert u.grad.item() == pytest.approx(1.5**10) and u.grad.item() > 50


def test_the_backward_pass_costs_about_twice_the_forward_pass():
    """Table, 'Cost': 'about twice a forward pass's arithmetic … training ≈ 6N FLOPs per token: 2N
    forward, 4N backward (Kaplan et al. 2020)' — counted on the app's MLP by PyTorch's FLOP counter."""
    from torch.utils.flop_counter import FlopCounterMode

    model = build(64, 10, ModelConfig(depth=4, width=256, activation="relu"), seed=0)
    x, y = torch.randn(128, 64), torch.randint(0, 10, (128,))
    with FlopCounterMode(display=False) as fwd:
        loss = F.cross_entropy(model(x), y)
    with FlopCounterMode(display=False) as bwd:
        loss.backward()
    ratio = bwd.get_total_flops() / fwd.get_total_flops()
    assert 1.8 < ratio <= 2.0  # ∂L/∂W and ∂L/∂x per layer; the input needs no ∂L/∂x
