"""Unit tests of dlcore.vanishing_gradients, against torch's own numbers and the formulas."""

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcore import DataConfig, MLPTrainer, ModelConfig, TrainConfig
from dlcore.labs import vanishing_gradients as vg
from dlcore.labs.vanishing_gradients import VANISHING_GRADIENTS as BASE
from dlcore.recorder import Recorder

DATA = DataConfig(name="circle", n_samples=200)


@pytest.mark.parametrize("norm", ["none", "batch"])
def test_recorded_grad_norm_equals_torch_norm_of_weight_grad(norm):
    trainer = MLPTrainer(DATA, ModelConfig(depth=4, width=8, activation="sigmoid", norm=norm), TrainConfig(steps=1))
    recorded = [s.grad_norm for s in trainer.recorder.records[0].layers]
    ds, idx = trainer.dataset, trainer.batches.peek()  # step 0 used the first mini-batch
    trainer.model.zero_grad()
    F.cross_entropy(trainer.model(ds.x_train[idx]), ds.y_train[idx]).backward()
    expected = [torch.linalg.norm(lin.weight.grad).item() for lin in trainer.model.linears()]
    np.testing.assert_allclose(recorded, expected, rtol=1e-5)


def test_recorded_grad_norm_is_taken_before_clipping():
    train = replace(vg.EXPLODING_TRAIN, steps=1, record_every=1)
    trainer = MLPTrainer(DATA, vg.EXPLODING_MODEL, train)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.advance(1)
    recorded = vg.global_grad_norm(trainer.recorder)[-1]
    step = np.sqrt(sum(float((p.detach() - b).pow(2).sum()) for p, b in zip(trainer.model.parameters(), before)))
    assert recorded > 10 * train.grad_clip  # the recorder saw the raw, exploding gradient
    assert step == pytest.approx(train.lr * train.grad_clip, rel=1e-3)  # SGD took a clipped step


def test_clip_by_global_norm_matches_torch_and_keeps_the_direction():
    gen = torch.Generator().manual_seed(0)
    grads = [torch.randn(5, 3, generator=gen) * 10, torch.randn(5, generator=gen)]
    clipped, total = vg.clip_by_global_norm(grads, 1.0)
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    torch_total = torch.nn.utils.clip_grad_norm_(params, 1.0)
    assert total == pytest.approx(torch_total.item(), rel=1e-6)
    for mine, p in zip(clipped, params):
        torch.testing.assert_close(mine, p.grad, rtol=1e-5, atol=1e-7)
    flat, raw = torch.cat([c.flatten() for c in clipped]), torch.cat([g.flatten() for g in grads])
    assert flat.norm().item() == pytest.approx(1.0, rel=1e-6)
    assert F.cosine_similarity(flat, raw, dim=0).item() == pytest.approx(1.0, abs=1e-6)


def test_clip_by_global_norm_leaves_small_gradients_alone_and_never_grows_them():
    grads = [torch.full((3,), 0.1)]
    clipped, total = vg.clip_by_global_norm(grads, 1.0)
    assert total == pytest.approx(np.sqrt(3) * 0.1)
    torch.testing.assert_close(clipped[0], grads[0])
    with pytest.raises(ValueError, match="threshold must be > 0"):
        vg.clip_by_global_norm(grads, 0.0)


def test_gradient_gap_counts_orders_of_magnitude_between_first_and_last_hidden_layer():
    assert vg.gradient_gap(np.array([1e-7, 1e-4, 1e-1, 5.0])) == pytest.approx(6.0)  # output ignored
    assert vg.gradient_gap(np.array([10.0, 0.1, 1.0])) == pytest.approx(-2.0)  # growing to the input
    assert vg.gradient_gap(np.array([0.0, 1.0, 1.0])) == pytest.approx(-vg.LOG10_FLOOR)
    with pytest.raises(ValueError):
        vg.gradient_gap(np.array([1.0]))


def test_safe_log10_floors_zero_and_nan():
    out = vg.safe_log10(np.array([100.0, 0.0, np.nan, np.inf, 1e-30]))
    np.testing.assert_allclose(out, [2.0, vg.LOG10_FLOOR, vg.LOG10_FLOOR, 38.0, vg.LOG10_FLOOR])


def test_gradient_map_and_profile_follow_the_records():
    trainer = MLPTrainer(DATA, ModelConfig(depth=3, width=8), TrainConfig(steps=30, record_every=10)).run()
    gmap = vg.gradient_map(trainer.recorder)
    assert gmap.layers == ("layer 1", "layer 2", "layer 3", "output")
    assert gmap.log10_grad_norm.shape == (4, 4)  # steps 0, 10, 20, 30 × layers
    np.testing.assert_allclose(10.0 ** gmap.log10_grad_norm, trainer.recorder.layer_series("grad_norm"), rtol=1e-5)
    assert vg.profile_at(trainer.recorder, 25).step == 20  # the last record at or before
    assert vg.profile_at(trainer.recorder, 1000).step == 30
    assert np.isnan(vg.profile_at(trainer.recorder, 0).update_ratio).all()  # no update at step 0
    np.testing.assert_allclose(
        vg.global_grad_norm(trainer.recorder),
        np.sqrt((trainer.recorder.layer_series("grad_norm").astype(np.float64) ** 2).sum(axis=1)),
    )
    with pytest.raises(ValueError, match="no recorded steps"):
        vg.profile_at(Recorder(), 0)


def test_with_and_without_clipping_trains_the_same_network_both_ways():
    single = vg.with_and_without_clipping(BASE.data, BASE.model, BASE.train)
    assert list(single.configs()) == ["your network"]
    pair = vg.with_and_without_clipping(BASE.data, BASE.model, replace(BASE.train, grad_clip=2.0)).configs()
    (plain, clipped) = pair.values()
    assert list(pair) == ["no clipping", "clipped at 2"]
    assert plain[2].grad_clip == 0.0 and clipped[2].grad_clip == 2.0
    assert plain[1] == clipped[1] and replace(plain[2], grad_clip=2.0) == clipped[2]


def test_bad_settings_raise_readable_errors():
    with pytest.raises(ValueError, match="depth"):
        ModelConfig(depth=0)
    with pytest.raises(ValueError, match="gradient clipping threshold"):
        TrainConfig(grad_clip=-1.0)



def test_weight_scale_experiment_checks_s_and_is_deterministic():
    with pytest.raises(ValueError, match="weight scale s"):
        vg.gradient_norms_at_scale(0.0)
    a = vg.gradient_norms_at_scale(4.0, centred=True, seed=3)
    b = vg.gradient_norms_at_scale(4.0, centred=True, seed=3)
    assert a.shape == (vg.SCALE_MODEL.depth + 1,) and np.array_equal(a, b)
    assert vg.scale_sweep(scales=(1.0, 16.0)).shape == (2,)
