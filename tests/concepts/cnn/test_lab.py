"""Unit tests of dlcore.models.cnn and dlcore.labs.cnn: shapes, the pixels, shifts, readable config errors,
determinism, and the recorder's view of the Conv2d layers."""

import math

import numpy as np
import pytest
import torch

from dlcore.labs import cnn as lab
from dlcore.models.cnn import CNNConfig, build_cnn


@pytest.fixture(scope="module")
def digits():
    return lab.digit_images(lab.DigitsSetup(n_train=100, seed=0))


def test_digits_are_images_on_a_blank_canvas_with_the_split_of_dlcore_data(digits):
    assert digits.x_train.shape == (100, 1, lab.CANVAS, lab.CANVAS) and digits.x_val.shape == (lab.N_VAL, 1, 14, 14)
    margin = torch.ones(lab.CANVAS, lab.CANVAS, dtype=torch.bool)
    margin[lab.MARGIN : -lab.MARGIN, lab.MARGIN : -lab.MARGIN] = False
    assert torch.all(digits.x_train[:, 0, margin] == 0) and torch.all(digits.x_val[:, 0, margin] == 0)
    assert digits.x_train.min() == 0 and digits.x_train.std() > 0.3
    from dlcore import data as data_mod
    from dlcore.config import DataConfig

    ds = data_mod.load(DataConfig(name="digits", n_samples=1797, val_fraction=0.3, seed=0))
    assert torch.equal(digits.y_val, ds.y_val) and torch.equal(digits.y_train, ds.y_train[:100])


def test_raw_pixels_are_recovered_exactly_on_the_sixteenths_grid():
    """dlcore.data centres the digits; the lab undoes it exactly (the raw digits are k/16, k = 0…16)."""
    from dlcore import data as data_mod
    from dlcore.config import DataConfig

    ds = data_mod.load(DataConfig(name="digits", n_samples=1797, val_fraction=0.3, seed=4))
    train, val = lab.raw_pixels(ds)
    for x in (train, val):
        assert x.min() >= -1e-5 and x.max() <= 1 + 1e-5
        assert torch.allclose(x * 16, torch.round(x * 16), atol=1e-3)
    with pytest.raises(ValueError, match="all 1,797 digits"):
        lab.raw_pixels(data_mod.load(DataConfig(name="digits", n_samples=300)))


def test_shift_moves_and_fills_with_zeros_and_roll_wraps_around():
    x = torch.arange(16.0).reshape(1, 4, 4)
    s = lab.shift(x, 0, 1)
    assert torch.equal(s[0, :, 0], torch.zeros(4)) and torch.equal(s[0, :, 1:], x[0, :, :3])
    assert torch.equal(lab.shift(x, -2, 0)[0, :2], x[0, 2:]) and torch.all(lab.shift(x, -2, 0)[0, 2:] == 0)
    assert torch.equal(lab.shift(lab.shift(x, 1, 1), -1, -1)[0, :3, :3], x[0, :3, :3])
    assert torch.equal(lab.roll(x, 0, 1)[0, :, 0], x[0, :, 3])


def test_augmentation_adds_two_shifted_copies_with_the_same_labels(digits):
    aug = lab.digit_images(lab.DigitsSetup(n_train=100, augment=True))
    assert aug.x_train.shape[0] == 300 and torch.equal(aug.y_train, digits.y_train.repeat(3))
    assert torch.equal(aug.x_train[:100], digits.x_train)
    ink = digits.x_train.sum(dim=(1, 2, 3))
    torch.testing.assert_close(aug.x_train[100:200].sum(dim=(1, 2, 3)), ink)  # a margin of 3 > 2: no ink lost
    assert not torch.equal(aug.x_train[100:200], digits.x_train)


@pytest.mark.parametrize("cfg, message", [
    (dict(kernel=4), "kernel size must be 1, 3, 5 or 7"),
    (dict(channels=0), "channels must be ≥ 1"),
    (dict(depth=7), "depth must be ≥ 1 and ≤ 6"),
    (dict(head="attention"), "head must be one of gap, flatten, pool"),
    (dict(padding="full"), "padding must be one of same, valid"),
    (dict(depth=3, kernel=5, padding="valid", image=8), "shrinks to nothing"),
    (dict(depth=3, stride=2, head="pool", image=8), "2×2 max pooling needs feature maps of at least 2×2"),
])
def test_bad_configs_are_sentences(cfg, message):
    with pytest.raises(ValueError, match=message):
        CNNConfig(**cfg)


def test_bad_experiments_are_sentences():
    with pytest.raises(ValueError, match="training digits must be ≥ 20 and ≤ 1258"):
        lab.experiment(n_train=5000)
    with pytest.raises(ValueError, match="learning rate"):
        lab.experiment(lr=0)


@pytest.mark.parametrize("head, features", [("gap", 16), ("flatten", 16 * 14 * 14), ("pool", 16 * 7 * 7)])
def test_model_shapes_for_each_head(head, features):
    cfg = CNNConfig(head=head, image=14)
    model = build_cnn(cfg)
    x = torch.zeros(5, 1, 14, 14)
    assert cfg.head_features() == features and model.head_input(x).shape == (5, features)
    assert model(x).shape == (5, 10)
    assert [m.shape for m in model.features(x)] == [(5, 8, 14, 14), (5, 16, 14, 14)]
    assert [layer.name for layer in model.layers()] == ["conv 1", "conv 2", "output"]


def test_same_seed_same_weights_and_curves_other_seed_other_weights():
    a, b, c = build_cnn(CNNConfig(), seed=1), build_cnn(CNNConfig(), seed=1), build_cnn(CNNConfig(), seed=2)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.blocks[0].conv.weight, c.blocks[0].conv.weight)
    state = torch.random.get_rng_state()
    runs = [lab.experiment(steps=20, n_train=100).trainers("cpu") for _ in range(2)]
    for r in runs:
        for t in r.values():
            t.run()
    assert torch.equal(state, torch.random.get_rng_state()), "building and training must not touch the global RNG"
    for name in ("MLP", "CNN"):
        assert runs[0][name].losses == runs[1][name].losses


def test_both_networks_see_the_same_batches():
    t = lab.experiment(steps=5, n_train=100).trainers("cpu")
    orders = [[t[n].batches.next().tolist() for _ in range(3)] for n in ("MLP", "CNN")]
    assert orders[0] == orders[1]
    assert t["MLP"].dataset.x_train is not None and torch.equal(t["MLP"].dataset.x_train, t["CNN"].dataset.x_train)


def test_the_recorder_measures_the_conv_layers():
    t = lab.experiment(steps=20, n_train=100).trainers("cpu")["CNN"].run()
    record = t.recorder.records[-1]
    assert [s.name for s in record.layers] == ["conv 1", "conv 2", "output"]
    conv1 = record.layers[0]
    assert conv1.weight_norm == pytest.approx(t.model.blocks[0].conv.weight.norm().item(), rel=1e-5)
    assert math.isfinite(conv1.grad_norm) and conv1.grad_norm > 0
    assert conv1.act is not None and conv1.act.hist.sum() == pytest.approx(1.0, abs=1e-5)
    assert t.recorder.layer_series("act.std").shape == (len(t.recorder.records), 2)


def test_inspection_helpers_shapes():
    model = build_cnn(CNNConfig(depth=3, channels=4, kernel=5, image=14))
    x = torch.rand(1, 14, 14)
    assert lab.first_filters(model).shape == (4, 5, 5)
    assert [m.shape for m in lab.feature_maps(model, x)] == [(4, 14, 14), (8, 14, 14), (16, 14, 14)]
    assert [m.shape for m in lab.receptive_field_maps(model)] == [(14, 14)] * 3
    rows = lab.layer_sizes(model)
    assert [r.receptive_field for r in rows] == [5, 9, 13]
    eq = lab.equivariance(model, x, 1)
    assert eq.of_shifted.shape == eq.shifted_maps.shape == (16, 14, 14) and eq.difference.shape == (14, 14)
    assert np.isnan(eq.interior_error) or eq.interior_error < 1e-6


def test_default_experiment_finishes_both_runs():
    runs = lab.default_experiment("cpu")
    assert set(runs) == {"MLP", "CNN"} and all(t.status == "finished" for t in runs.values())
    assert all(t.step == 300 for t in runs.values())


def test_looking_inside_a_finished_run_never_moves_or_switches_its_networks():
    """A finished run is shared by every session (ui.results): the page's views may only read it.
    ``.cpu()``, ``.to()`` and ``.train()``/``.eval()`` on a shared network are writes (and ``.cpu()``
    would move it off a GPU under the other sessions)."""
    runs = lab.experiment(steps=10, n_train=100).trainers()
    for t in runs.values():
        t.run()
        t.freeze()

    def refuse(*_args, **_kwargs):
        raise AssertionError("a shared network was moved or switched")

    for t in runs.values():
        t.model._apply, t.model.train = refuse, refuse
    cnn, x_val = runs["CNN"], runs["CNN"].dataset.x_val
    assert lab.equivariance(cnn.model, x_val[0], 1) is not None
    for model in (cnn.model, runs["MLP"].model):
        assert set(lab.invariance(model, x_val)) == {1, 2}
    lab.invariance(cnn.model, x_val, circular=True)
    lab.feature_maps(cnn.model, x_val[0])
    lab.first_filters(cnn.model)
    lab.receptive_field_maps(cnn.model)
    lab.layer_sizes(cnn.model)
    assert set(lab.shift_accuracy(cnn)) == set(lab.SHIFTS)


def test_shift_accuracy_is_the_accuracy_on_each_shifted_copy_averaged_over_the_four_directions():
    """The measurement runs all shifted copies as one batch (a CNN's in passes of 256): each copy's
    labels must still be scored against its own digits and averaged within its own shift."""
    runs = lab.experiment(n_train=100, steps=100).trainers()
    for name, t in runs.items():
        t.advance(40)
        y = t.dataset.y_val

        def accuracy(dy, dx, t=t, y=y):
            return (t.predict(lab.shift(t.dataset.x_val, dy, dx)).argmax(1) == y).float().mean().item()

        expected = {s: float(np.mean([accuracy(dy * s, dx * s) for dy, dx in (lab.DIRECTIONS if s else ((0, 0),))]))
                    for s in lab.SHIFTS}
        got = lab.shift_accuracy(t)
        assert got == pytest.approx(expected, abs=0.5 / lab.N_VAL / 4), name  # the same digits right
        assert lab.shift_accuracy(t) is got  # the same step: measured once
        t.advance(1)
        assert lab.shift_accuracy(t) is not got
    assert len({round(v, 4) for v in lab.shift_accuracy(runs["MLP"]).values()}) == 3  # the MLP: three numbers
