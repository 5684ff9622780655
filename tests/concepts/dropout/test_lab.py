"""Unit tests of dlcore.dropout: the formulas, against the model's module and autograd, the
MC-dropout helpers' side effects, and readable errors on bad values."""


import numpy as np
import pytest
import torch

from dlcore import DataConfig, MLPTrainer, ModelConfig, TrainConfig
from dlcore.labs import dropout as do
from dlcore.models import InvertedDropout, build


def tiny_trainer(dropout=0.5, steps=20):
    return MLPTrainer(DataConfig(name="circle", n_samples=80), ModelConfig(width=16, dropout=dropout),
                   TrainConfig(steps=steps, record_every=5), device="cpu")


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_bad_rates_raise_a_readable_value_error(p):
    for call in (lambda: do.keep_probability(p), lambda: do.inverted_dropout(torch.ones(3), p),
                 lambda: do.classic_dropout(torch.ones(3), p), lambda: do.bernoulli_mask((3,), p)):
        with pytest.raises(ValueError, match="dropout rate p must be ≥ 0 and < 1"):
            call()


def test_bad_pass_counts_and_layers_raise_value_error():
    model = build(2, 2, ModelConfig(width=8, dropout=0.5))
    with pytest.raises(ValueError, match="passes"):
        do.compare_conventions(torch.ones(4), 0.5, passes=0)
    with pytest.raises(ValueError, match="passes"):
        do.mc_predict(model, torch.zeros(3, 2), passes=0)
    with pytest.raises(ValueError, match="hidden layers"):
        do.hidden_before_dropout(model, torch.zeros(3, 2), layer=5)


def test_inverted_dropout_function_matches_the_model_module_bit_for_bit():
    x = torch.randn(16, 32)
    module = InvertedDropout(0.25, seed=7).train()
    y_module = module(x)
    y_fn, mask = do.inverted_dropout(x, 0.25, torch.Generator().manual_seed(7))
    assert torch.equal(y_module, y_fn)
    assert torch.equal(module.last_mask, mask.bool())


def test_classic_dropout_formulas():
    x = torch.arange(1.0, 9.0)
    y, mask = do.classic_dropout(x, 0.25, torch.Generator().manual_seed(0))
    torch.testing.assert_close(y, x * mask)  # no scaling while training
    torch.testing.assert_close(do.classic_dropout(x, 0.25, training=False)[0], 0.75 * x)


def test_inverted_dropout_gradient_is_the_mask_over_q_by_autograd():
    x = torch.randn(10, 6, requires_grad=True)
    y, mask = do.inverted_dropout(x, 0.4, torch.Generator().manual_seed(2))
    y.sum().backward()
    torch.testing.assert_close(x.grad, mask / 0.6)


def test_masks_are_reproducible_for_a_seed_and_differ_across_seeds():
    a = do.bernoulli_mask((64, 64), 0.5, torch.Generator().manual_seed(1))
    b = do.bernoulli_mask((64, 64), 0.5, torch.Generator().manual_seed(1))
    c = do.bernoulli_mask((64, 64), 0.5, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    t1, t2 = tiny_trainer(), tiny_trainer()
    t1.advance(3), t2.advance(3)
    np.testing.assert_array_equal(do.last_mask(t1.model), do.last_mask(t2.model))


def test_last_mask_is_none_without_dropout_or_before_training():
    assert do.last_mask(tiny_trainer(dropout=0.0).model) is None
    assert do.last_mask(build(2, 2, ModelConfig(width=8, dropout=0.5))) is None
    assert do.dropout_layers(build(2, 2, ModelConfig(depth=3, width=8, dropout=0.5))).__len__() == 3


def test_hidden_before_dropout_equals_the_activation_the_block_computes():
    model = build(2, 2, ModelConfig(depth=2, width=8, dropout=0.5), seed=0)
    seen = []
    model.blocks[1].act.register_forward_hook(lambda m, i, o: seen.append(o.detach()))
    x = torch.randn(5, 2)
    model.eval()
    with torch.no_grad():
        model(x)
    model.train()
    torch.testing.assert_close(do.hidden_before_dropout(model, x, layer=1), seen[0])
    assert model.training, "the helper must not change the model's mode"


def test_mc_predict_leaves_the_trainer_exactly_as_it_was():
    """A trainer whose model was MC-sampled halfway continues like one that was not."""
    a, b = tiny_trainer(), tiny_trainer()
    a.advance(10), b.advance(10)
    mask_before = do.last_mask(a.model)
    do.mc_predict(a.model, torch.randn(7, 2), passes=5, seed=3)
    np.testing.assert_array_equal(do.last_mask(a.model), mask_before)
    assert a.model.training == b.model.training
    a.run(), b.run()
    assert a.losses == b.losses


def test_mc_predict_shapes_seed_and_zero_spread_without_dropout():
    model = build(2, 3, ModelConfig(width=16, dropout=0.5), seed=0)
    x = torch.randn(6, 2)
    p1, p2 = do.mc_predict(model, x, passes=40, seed=1), do.mc_predict(model, x, passes=40, seed=1)
    assert p1.mean.shape == p1.std.shape == p1.deterministic.shape == (6, 3)
    np.testing.assert_allclose(p1.mean.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(p1.mean, p2.mean)
    assert p1.std.max() > 0
    plain = do.mc_predict(build(2, 3, ModelConfig(width=16), seed=0), x, passes=10)
    assert plain.std.max() < 1e-6


def test_mc_probability_grid_shapes():
    axis, mean, std = do.mc_probability_grid(build(2, 2, ModelConfig(width=8, dropout=0.3)), passes=4, n=12)
    assert axis.shape == (12,) and mean.shape == std.shape == (12, 12)
    assert mean.dtype == std.dtype == np.float32


def test_generalization_gap_is_val_minus_train_loss():
    t = tiny_trainer().run()
    steps, gap = do.generalization_gap(t.recorder)
    np.testing.assert_array_equal(steps, t.recorder.steps())
    np.testing.assert_allclose(gap, t.recorder.series("val_loss") - t.recorder.series("train_loss"))


def test_compare_conventions_uses_the_same_masks_for_both():
    comp = do.compare_conventions(torch.rand(10) + 1, 0.5, passes=8, seed=0, shown=3)
    assert comp.samples["inverted"].shape == (3, 10)
    np.testing.assert_allclose(comp.samples["classic"] * 2, comp.samples["inverted"], rtol=1e-6)



def test_mc_predict_in_batches_of_passes_gives_the_same_numbers(monkeypatch):
    """MC dropout batches its passes to bound memory (30 passes over a 40×40 grid at once took
    ~100 MiB per session); the masks are drawn row after row, so the numbers must not change."""
    model = build(2, 2, ModelConfig(depth=2, width=32, dropout=0.5), seed=0)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(1))
    monkeypatch.setattr(do, "MC_ROWS", 10**9)
    at_once = do.mc_predict(model, x, passes=30, seed=3)
    monkeypatch.setattr(do, "MC_ROWS", 120)  # 2 passes per forward pass
    batched = do.mc_predict(model, x, passes=30, seed=3)
    np.testing.assert_array_equal(batched.mean, at_once.mean)
    np.testing.assert_array_equal(batched.std, at_once.std)
