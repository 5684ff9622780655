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


def test_batchnorm_gamma_beta_undo_it_only_with_the_statistics_they_were_set_from():
    """"For BatchNorm, γ = √(σ² + ε), β = μ gives back x — but only with the population statistics;
    a fixed γ, β cannot track each batch's own μ and σ"."""
    mu, sigma = X.mean(dim=0), (X.var(dim=0, unbiased=False) + 1e-5).sqrt()
    assert torch.allclose(batch_norm(X, gamma=sigma, beta=mu), X, atol=1e-9)
    other = X[:8] * 2 + 3  # another batch: same γ, β no longer give it back
    assert (batch_norm(other, gamma=sigma, beta=mu) - other).abs().max() > 1.0


def test_layernorm_forgets_each_examples_mean_and_scale_for_good():
    """"For LayerNorm … LN(a·x + c) = LN(x) for any a > 0 and c: each example's mean and scale are
    gone for good" (the old sentence said γ and β can always undo it)."""
    a = torch.tensor([0.5, 2.0, 7.0, 1.0] * 4, dtype=torch.float64).unsqueeze(1)  # (16, 1) per example
    c = torch.linspace(-5, 5, 16, dtype=torch.float64).unsqueeze(1)
    torch.testing.assert_close(layer_norm(a * X + c), layer_norm(X), atol=1e-4, rtol=0)  # up to ε = 1e-5
    ln = torch.nn.LayerNorm(6).double()
    with torch.no_grad():
        ln.weight.copy_(torch.linspace(0.5, 2, 6)), ln.bias.copy_(torch.linspace(-1, 1, 6))
    torch.testing.assert_close(ln(a * X + c), ln(X), atol=1e-4, rtol=0)  # any γ, β: same output


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


def test_the_sweep_without_normalization_works_in_a_narrow_range_and_batchnorm_in_a_wide_one():
    """"without normalization only a narrow range of learning rates works (validation loss below 0.3
    at lr 0.1, sometimes 0.3 — at most two of the five); BatchNorm works from 0.03 up to 1 (four of
    the five) and fails only at 3" — the page's own sweep."""
    LRS = (0.03, 0.1, 0.3, 1.0, 3.0)  # pages/normalization.py

    losses = lr_sweep(NORMALIZATION.data, NORMALIZATION.model, NORMALIZATION.train, ("none", "batch"), LRS, "cpu")
    ok = {k: [lr for lr, v in zip(LRS, vals) if v == v and v < 0.3] for k, vals in losses.items()}
    assert 0.1 in ok["none"] and len(ok["none"]) <= 2 and set(ok["none"]) <= {0.1, 0.3}
    assert ok["batch"] == [0.03, 0.1, 0.3, 1.0]


def test_in_eval_mode_the_apps_batchnorm_network_uses_running_averages_and_ignores_the_batch():
    """"keeps running averages for inference, so train and eval mode differ" — the page's BatchNorm
    network after training: its predictions use the running averages, not the batch."""
    t = NORMALIZATION.trainers("cpu")["BatchNorm"]
    t.advance(100)
    x = t.dataset.x_val
    alone, in_batch = t.predict(x[:1]), t.predict(torch.cat([x[:1], 10 * x[1:]]))[:1]
    torch.testing.assert_close(alone, in_batch)
    bn = t.model.blocks[0].norm
    assert bn.running_mean.abs().max() > 0.01  # the averages moved away from their start (0)
    with torch.no_grad():
        z = t.model.blocks[0].linear(x)
        by_hand = (z - bn.running_mean) / (bn.running_var + bn.eps).sqrt() * bn.weight + bn.bias
        t.model.eval()
        torch.testing.assert_close(bn(z), by_hand)
        t.model.train()
        assert not torch.allclose(t.model(x[:2])[:1], t.model(torch.cat([x[:1], 10 * x[1:2]]))[:1])


def test_training_mode_batchnorm_needs_more_than_one_value_per_channel_not_more_than_one_example():
    """"in training mode it needs more than one value per channel (BatchNorm1d on a single example
    raises an error, but BatchNorm2d trains on one image, taking the statistics over its H×W positions)"."""
    from dlcore.layers.norms import norm_layer

    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        norm_layer("batch", 6)(torch.randn(1, 6))
    image = torch.randn(1, 3, 8, 8)
    out = torch.nn.BatchNorm2d(3)(image)  # one example, 64 values per channel
    torch.testing.assert_close(out.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-6, rtol=0)


def test_a_bias_before_batchnorm_is_cancelled():
    shifted = X + torch.arange(6, dtype=torch.float64) * 5  # a different bias for every unit
    assert torch.allclose(batch_norm(shifted), batch_norm(X), atol=1e-9)


def test_the_knocked_out_plain_net_passes_no_gradient_at_all():
    plain = NORMALIZATION.trainers("cpu")["no normalization"].run()
    last = plain.recorder.records[-1]
    assert all(layer.grad_norm == 0.0 for layer in last.layers)  # exactly zero: nothing can learn
    hidden = [layer.act for layer in last.layers if layer.act]
    assert hidden[-1].dead_frac == 1.0 and hidden[-1].std == 0.0  # the last hidden layer is all dead ReLUs
