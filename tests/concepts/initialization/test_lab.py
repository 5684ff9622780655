"""Unit tests of dlcore.init_probe: measurements against autograd, finite differences and formulas."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcore.config import DataConfig, ModelConfig
from dlcore.labs.initialization import (
    N_BINS,
    SCHEMES,
    check_training_work,
    compare_schemes,
    hidden_outputs,
    histogram,
    signal_profile,
    unit_spread,
    weight_draw,
)
from dlcore.models import build

DIGITS = DataConfig(name="digits", n_samples=1797)


def batch(n=32, n_in=6, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, n_in, generator=g), torch.randint(0, k, (n,), generator=g), k


def test_profile_shapes_and_histograms_sum_to_one():
    x, y, k = batch()
    p = signal_profile(x, y, k, ModelConfig(depth=4, width=8, activation="tanh", init="xavier_normal"))
    assert p.act_std.shape == (4,) and p.saturated_frac.shape == (4,)
    assert p.act_hist.shape == (4, N_BINS)
    assert p.grad_norm.shape == (5,)  # 4 hidden weight matrices + the output layer
    np.testing.assert_allclose(p.act_hist.sum(axis=1), 1.0, atol=1e-5)
    assert p.scheme == "xavier_normal" and p.activation == "tanh"


def test_auto_scheme_is_resolved():
    x, y, k = batch()
    assert signal_profile(x, y, k, ModelConfig(depth=2, width=4, activation="relu", init="auto")).scheme == "he_normal"


def test_hidden_outputs_match_the_model_forward_pass():
    x, _, k = batch()
    for residual in (False, True):
        model = build(6, k, ModelConfig(depth=3, width=6, residual=residual), seed=1).double()
        outs, logits = hidden_outputs(model, x.double())
        assert len(outs) == 3 and outs[0].shape == (32, 6)
        torch.testing.assert_close(logits, model(x.double()))


def test_std_and_loss_match_a_direct_computation():
    x, y, k = batch()
    cfg = ModelConfig(depth=3, width=8, activation="relu", init="he_uniform")
    p = signal_profile(x, y, k, cfg, seed=2)
    model = build(6, k, cfg, seed=2).double()
    outs, logits = hidden_outputs(model, x.double())
    np.testing.assert_allclose(p.act_std, [h.std(unbiased=False).item() for h in outs], rtol=1e-12)
    assert p.input_std == pytest.approx(x.double().std(unbiased=False).item())
    assert p.loss == pytest.approx(F.cross_entropy(logits, y).item())


def test_gradient_norms_match_autograd_and_finite_differences():
    x, y, k = batch()
    cfg = ModelConfig(depth=3, width=5, activation="tanh", init="xavier_normal")
    p = signal_profile(x, y, k, cfg, seed=3)
    model = build(6, k, cfg, seed=3).double()
    linears = model.linears()

    def loss() -> torch.Tensor:
        return F.cross_entropy(model(x.double()), y)

    grads = torch.autograd.grad(loss(), [lin.weight for lin in linears])
    np.testing.assert_allclose(p.grad_norm, [g.norm().item() for g in grads], rtol=1e-10)
    # One entry of the first layer's gradient by central differences.
    eps, w = 1e-6, linears[0].weight
    with torch.no_grad():
        w[1, 2] += eps
        up = loss().item()
        w[1, 2] -= 2 * eps
        down = loss().item()
        w[1, 2] += eps
    assert (up - down) / (2 * eps) == pytest.approx(grads[0][1, 2].item(), rel=1e-5, abs=1e-10)


def test_histogram_counts_and_overflow_into_the_end_bins():
    h = histogram(torch.tensor([-5.0, -1.0, 0.1, 0.1, 0.99, 7.0]), -1.0, 1.0, n_bins=4)
    np.testing.assert_allclose(h, [2 / 6, 0, 2 / 6, 2 / 6])  # -5 and -1 first; 0.99 and 7 last


def test_compare_schemes_uses_one_batch_for_every_scheme():
    profiles = compare_schemes(DIGITS, ModelConfig(depth=2, width=8), SCHEMES)
    assert list(profiles) == list(SCHEMES)
    assert len({p.input_std for p in profiles.values()}) == 1


def test_weight_draw_reports_formula_and_bound():
    d = weight_draw("he_uniform", 100, 50)
    assert d.target_var == pytest.approx(2 / 100)
    assert d.bound == pytest.approx(math.sqrt(6 / 100))
    assert d.max_abs <= d.bound
    z = weight_draw("zeros", 10, 10)
    assert z.empirical_var == 0 and z.max_abs == 0 and math.isnan(z.bound)
    assert weight_draw("xavier_normal", 30, 10, seed=1).max_abs == weight_draw("xavier_normal", 30, 10, seed=1).max_abs


def test_unit_spread():
    assert unit_spread(torch.ones(5, 3) * 0.7) == 0.0
    w = torch.tensor([[0.0, 1.0], [0.5, -1.0], [0.2, 0.0]])  # columns span 0.5 and 2.0
    assert unit_spread(w) == pytest.approx(2.0)


def test_training_work_limit_is_a_readable_value_error():
    check_training_work(ModelConfig(depth=10, width=64), 150, 5)  # the default fits
    check_training_work(ModelConfig(depth=20, width=256), 100, 3)  # the biggest net, briefly
    with pytest.raises(ValueError, match="would take too long"):
        check_training_work(ModelConfig(depth=20, width=256), 300, 7)


def test_bad_configs_raise_value_error():
    with pytest.raises(ValueError, match="initialization must be one of"):
        ModelConfig(init="ones")
    with pytest.raises(ValueError, match="depth"):
        ModelConfig(depth=0)
    with pytest.raises(ValueError, match="unknown initialization"):
        weight_draw("ones", 4, 4)

