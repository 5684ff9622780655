"""Claim tests for the Normalization page (assets/pages/normalization.md)."""

from dataclasses import replace

import pytest
import torch

from dlcore import MLPTrainer
from dlcore.experiments import Comparison, run_all
from dlcore.labs.normalization import NORMALIZATION, batch_norm, layer_norm, lr_sweep

X = torch.randn(16, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3 + 1


def test_batchnorm_normalises_each_unit_and_layernorm_each_example():
    b, ln = batch_norm(X), layer_norm(X)
    assert torch.allclose(b.mean(dim=0), torch.zeros(6, dtype=torch.float64), atol=1e-9)
    assert torch.allclose(b.std(dim=0, unbiased=False), torch.ones(6, dtype=torch.float64), atol=1e-4)
    assert torch.allclose(ln.mean(dim=1), torch.zeros(16, dtype=torch.float64), atol=1e-9)
    assert torch.allclose(ln.std(dim=1, unbiased=False), torch.ones(16, dtype=torch.float64), atol=1e-4)
    assert not torch.allclose(b.mean(dim=1), torch.zeros(16, dtype=torch.float64), atol=0.05)  # not per row


def test_the_written_out_versions_match_pytorch():
    bn, ln = torch.nn.BatchNorm1d(6).double(), torch.nn.LayerNorm(6).double()
    assert torch.allclose(batch_norm(X), bn(X), atol=1e-12)
    assert torch.allclose(layer_norm(X), ln(X), atol=1e-12)


def test_gamma_and_beta_can_undo_the_normalization():
    mu, sigma = X.mean(dim=0), (X.var(dim=0, unbiased=False) + 1e-5).sqrt()
    assert torch.allclose(batch_norm(X, gamma=sigma, beta=mu), X, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_at_learning_rate_1_batchnorm_trains_where_the_plain_net_is_knocked_out(seed):
    comp = Comparison.over(replace(NORMALIZATION.data, seed=seed), NORMALIZATION.model,
                           replace(NORMALIZATION.train, seed=seed), "model.norm", ["none", "batch", "layer"])
    plain, bn, ln = (t.recorder.records[-1] for t in run_all(comp.trainers("cpu")).values())
    assert plain.val_loss > 0.68 and plain.val_acc < 0.65  # at chance: ln 2 ≈ 0.69
    assert bn.val_acc > 0.95
    assert ln.val_loss > 0.6  # LayerNorm does not rescue it here


def test_with_a_tiny_init_activations_vanish_without_normalization_but_not_with_it():
    stds = {}
    for norm in ("none", "batch", "layer"):
        model = replace(NORMALIZATION.model, activation="tanh", init="small_normal", norm=norm)
        t = MLPTrainer(NORMALIZATION.data, model, NORMALIZATION.train, device="cpu")
        stds[norm] = [layer.act.std for layer in t.recorder.records[0].layers if layer.act]
    assert stds["none"][-1] < 1e-6 and stds["none"][-1] < stds["none"][0] / 1000
    for norm in ("batch", "layer"):
        assert min(stds[norm]) > 0.3 and max(stds[norm]) / min(stds[norm]) < 2


def test_the_sweep_shows_batchnorm_working_at_larger_learning_rates():
    lrs = (0.1, 1.0, 3.0)
    losses = lr_sweep(NORMALIZATION.data, NORMALIZATION.model, replace(NORMALIZATION.train, steps=200),
                      ("none", "batch"), lrs, "cpu")
    ok = {k: [lr for lr, v in zip(lrs, vals) if v == v and v < 0.3] for k, vals in losses.items()}
    assert max(ok["batch"]) > max(ok["none"], default=0)


def test_in_eval_mode_batchnorm_uses_running_averages_and_ignores_the_batch():
    bn = torch.nn.BatchNorm1d(6).double()
    for _ in range(50):
        bn(X)  # training mode: updates the running averages
    bn.eval()
    alone, in_batch = bn(X[:1]), bn(torch.cat([X[:1], 10 * X[1:]]))[:1]
    assert torch.allclose(alone, in_batch)
    bn.train()
    assert not torch.allclose(bn(X[:2])[:1], bn(torch.cat([X[:1], 10 * X[1:2]]))[:1])


def test_training_mode_batchnorm_cannot_normalise_a_single_example():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        torch.nn.BatchNorm1d(6)(torch.randn(1, 6))


def test_a_bias_before_batchnorm_is_cancelled():
    shifted = X + torch.arange(6, dtype=torch.float64) * 5  # a different bias for every unit
    assert torch.allclose(batch_norm(shifted), batch_norm(X), atol=1e-9)


def test_the_knocked_out_plain_net_passes_no_gradient_at_all():
    plain = NORMALIZATION.trainers("cpu")["no normalization"].run()
    last = plain.recorder.records[-1]
    assert all(layer.grad_norm == 0.0 for layer in last.layers)  # exactly zero: nothing can learn
    hidden = [layer.act for layer in last.layers if layer.act]
    assert hidden[-1].dead_frac == 1.0 and hidden[-1].std == 0.0  # the last hidden layer is all dead ReLUs
