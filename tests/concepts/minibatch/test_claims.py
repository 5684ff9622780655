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
    noise = gradient_noise(MINIBATCH.data, MINIBATCH.model, (1, 4, 16, 64), draws=60, seed=0)
    assert np.all(np.abs(noise.relative_error / noise.predicted - 1) < 0.25)
    # four times the batch, about half the error
    halves = noise.relative_error[:-1] / noise.relative_error[1:]
    assert np.all((halves > 1.6) & (halves < 2.6))
    assert np.all(np.diff(noise.cosine) > 0)  # bigger batches point closer to the true gradient


def test_with_the_same_steps_bigger_batches_reach_a_lower_loss():
    trainers = run_all(MINIBATCH.trainers("cpu"))
    val = [t.recorder.records[-1].val_loss for t in trainers.values()]
    assert val == sorted(val, reverse=True)  # B = 4 > 16 > 64 > full batch
    assert val[0] > 5 * val[-1]


def test_with_the_same_epochs_small_batches_get_further():
    n = len(data_mod.load(MINIBATCH.data).y_train)
    final = {}
    for b in (4, n):
        steps = round(5 * n / b)  # five passes over the data
        assert epochs(steps, b, n) == pytest.approx(5, rel=0.02)
        t = MLPTrainer(MINIBATCH.data, MINIBATCH.model, replace(MINIBATCH.train, batch_size=b, steps=steps)).run()
        final[b] = t.recorder.records[-1].val_loss
    assert final[4] < 0.6 * final[n]


def test_each_steps_own_batch_loss_is_far_noisier_for_small_batches():
    trainers = list(run_all(MINIBATCH.trainers("cpu")).values())
    jitter = [np.std(np.diff(np.log(t.losses[50:150]))) for t in trainers]
    assert jitter == sorted(jitter, reverse=True)
    assert jitter[0] > 10 * jitter[-1]


def test_batchnorm_output_depends_on_the_rest_of_the_batch_layernorm_does_not():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 8, generator=g)
    others = torch.randn(4, 8, generator=g) * 3
    bn, ln = torch.nn.BatchNorm1d(8), torch.nn.LayerNorm(8)  # training mode: BN uses batch statistics
    alone = [norm(x)[0] for norm in (bn, ln)]
    mixed = [norm(torch.cat([x[:1], others]))[0] for norm in (bn, ln)]
    assert not torch.allclose(alone[0], mixed[0], atol=1e-3)  # same example, different BN output
    assert torch.allclose(alone[1], mixed[1], atol=1e-6)  # LayerNorm: per example
