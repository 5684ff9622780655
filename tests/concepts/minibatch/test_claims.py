"""Claim tests for the Mini-batch training page (assets/pages/minibatch.md)."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore import MLPTrainer
from dlcore import data as data_mod
from dlcore.experiments import run_all
from dlcore.labs.minibatch import MINIBATCH, epochs, flat_grad, gradient_noise
from dlcore.models import build


def test_the_batches_of_one_epoch_average_back_to_exactly_the_full_gradient():
    ds = data_mod.load(MINIBATCH.data)
    model = build(ds.n_features, ds.n_classes, MINIBATCH.model, seed=0).double()
    x, y = ds.x_train.double(), ds.y_train
    n, b = len(y), 20
    assert n % b == 0
    full = flat_grad(model, x, y)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(1))
    batch_grads = torch.stack([flat_grad(model, x[perm[i : i + b]], y[perm[i : i + b]]) for i in range(0, n, b)])
    assert torch.allclose(batch_grads.mean(dim=0), full, atol=1e-12)
    assert (batch_grads - full).norm(dim=1).min() > 0.05 * full.norm()  # yet each batch alone is off


def test_gradient_noise_shrinks_like_one_over_root_b_as_predicted():
    """"The prediction σ/√B · √((N − B)/(N − 1)) is computed from the spread of single-example
    gradients, not fitted — and it matches within about 10 %; without the finite-population factor
    it would be 1.5× too high at B = N/2"."""
    n = len(data_mod.load(MINIBATCH.data).y_train)
    sizes = (1, 4, 16, 64, n // 2)
    noise = gradient_noise(MINIBATCH.data, MINIBATCH.model, sizes, draws=60, seed=0)
    assert np.all(np.abs(noise.relative_error / noise.predicted - 1) < 0.12)
    sigma = noise.predicted[0]  # B = 1: the factor is 1
    without_factor = sigma / np.sqrt(np.array(sizes, dtype=float))
    assert without_factor[-1] / noise.relative_error[-1] == pytest.approx(1.5, abs=0.1)
    # four times the batch, about half the error
    halves = noise.relative_error[:3] / noise.relative_error[1:4]
    assert np.all((halves > 1.6) & (halves < 2.6))
    assert np.all(np.diff(noise.cosine) > 0)  # bigger batches point closer to the true gradient


@pytest.fixture(scope="module")
def default_runs():
    return run_all(MINIBATCH.trainers("cpu"))


def test_with_the_same_steps_bigger_batches_reach_a_lower_loss(default_runs):
    val = [t.recorder.records[-1].val_loss for t in default_runs.values()]
    assert val == sorted(val, reverse=True)  # B = 4 > 16 > 64 > full batch
    assert val[0] > 5 * val[-1]


def test_b4_is_still_wandering_while_full_batch_has_settled(default_runs):
    """"B = 4 is still wandering — its validation loss, still near 0.6, goes up as well as down from
    one record to the next, while full-batch descent has settled below 0.01"."""
    small = default_runs["B = 4"].recorder.series("val_loss")[-11:]
    full = default_runs["full batch"].recorder.series("val_loss")[-11:]
    assert 0.45 < small[-1] < 0.75
    steps = np.diff(small)
    assert (steps > 0).sum() >= 3 and (steps < 0).sum() >= 3
    assert full.max() < 0.01  # settled: every one of its last records below 0.01 …
    assert np.abs(np.diff(small)).mean() > 10 * np.abs(np.diff(full)).mean()  # … and barely moving


def test_batches_are_reshuffled_every_epoch():
    """"Why shuffle every epoch? So that batches are random draws" — the trainer's batch order: each
    epoch visits every example once, in a new order."""
    t = MLPTrainer(MINIBATCH.data, MINIBATCH.model, replace(MINIBATCH.train, batch_size=60, steps=1))
    n = len(t.dataset.y_train)
    epochs_seen = [torch.cat([t.batches.next() for _ in range(n // 60)]) for _ in range(2)]
    for e in epochs_seen:
        assert torch.equal(e.sort().values, torch.arange(n))
    assert not torch.equal(epochs_seen[0], epochs_seen[1])


def test_with_the_same_epochs_small_batches_get_further():
    n = len(data_mod.load(MINIBATCH.data).y_train)
    final = {}
    for b in (4, n):
        steps = round(5 * n / b)  # five passes over the data
        assert epochs(steps, b, n) == pytest.approx(5, rel=0.02)
        t = MLPTrainer(MINIBATCH.data, MINIBATCH.model, replace(MINIBATCH.train, batch_size=b, steps=steps)).run()
        final[b] = t.recorder.records[-1].val_loss
    assert final[4] < 0.6 * final[n]


def test_each_steps_own_batch_loss_is_far_noisier_for_small_batches(default_runs):
    trainers = list(default_runs.values())
    jitter = [np.std(np.diff(np.log(t.losses[50:150]))) for t in trainers]
    assert jitter == sorted(jitter, reverse=True)
    assert jitter[0] > 10 * jitter[-1]


def test_batchnorm_output_depends_on_the_rest_of_the_batch_layernorm_does_not():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 8, generator=g)
    others = torch.randn(4, 8, generator=g) * 3
    from dlcore.layers.norms import norm_layer

    bn, ln = norm_layer("batch", 8), norm_layer("layer", 8)  # the app's layers; training mode
    alone = [norm(x)[0] for norm in (bn, ln)]
    mixed = [norm(torch.cat([x[:1], others]))[0] for norm in (bn, ln)]
    assert not torch.allclose(alone[0], mixed[0], atol=1e-3)  # same example, different BN output
    assert torch.allclose(alone[1], mixed[1], atol=1e-6)  # LayerNorm: per example
