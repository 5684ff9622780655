"""Unit tests of dlcore.labs.augmentation: each transformation on tiny images, the trainer
subclass, calibration numbers on hand-made probabilities, and readable errors."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore.labs import augmentation as aug


def one_pixel(r=3, c=4) -> torch.Tensor:
    x = torch.zeros(1, 8, 8)
    x[0, r, c] = 1.0
    return x


@pytest.mark.parametrize(("dy", "dx"), [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (0, 0)])
def test_shift_moves_a_pixel_by_dy_dx(dy, dx):
    moved = aug.shifted_all(one_pixel(), dy, dx)
    assert moved.shape == (1, 8, 8)
    assert moved[0, 3 + dy, 4 + dx] == 1.0 and moved.sum() == 1.0


def test_shift_fills_the_border_with_zeros():
    moved = aug.shifted_all(torch.ones(1, 8, 8), 1, -1)
    assert moved[0, 0].sum() == 0 and moved[0, :, 7].sum() == 0 and moved.sum() == 49


def test_rotate_by_zero_is_identity_and_by_ninety_turns_the_image():
    x = torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(aug.rotate(x, torch.zeros(3)), x, atol=1e-5, rtol=0)
    turned = aug.rotate(x, torch.full((3,), 90.0))
    torch.testing.assert_close(turned, torch.rot90(x, 1, dims=(1, 2)), atol=1e-5, rtol=0)  # counter-clockwise


def test_cutout_zeroes_exactly_a_3x3_square():
    out = aug.cutout(torch.ones(2, 8, 8), torch.tensor([0, 5]), torch.tensor([2, 5]))
    assert (out == 0).sum(dim=(1, 2)).tolist() == [9, 9]
    assert out[0, 0:3, 2:5].sum() == 0 and out[1, 5:8, 5:8].sum() == 0


def test_cutmix_box_lambda_is_the_share_left():
    mask, lam = aug.cutmix_box(0.75, 0, 0)  # side round(8·√0.25) = 4
    assert mask.sum() == 16 and lam == pytest.approx(1 - 16 / 64)
    mask, lam = aug.cutmix_box(0.9, 6, 6)  # side 3, clipped at the border to 2×2
    assert mask.sum() == 4 and lam == pytest.approx(1 - 4 / 64)


@pytest.mark.parametrize("name", aug.AUGMENTATIONS)
def test_every_augmenter_keeps_shapes_and_labels_and_repeats_with_its_seed(name):
    ds = aug.digits_split(40, 60, seed=0)
    x, y = ds.x_train[:16], ds.y_train[:16]
    a, b = aug.Augmenter(name, 3)(x, y), aug.Augmenter(name, 3)(x, y)
    assert a.x.shape == (16, 64) and torch.equal(a.y, y)
    assert torch.equal(a.x, b.x) and a.lam == b.lam
    untouched = name in ("none", "smoothing")
    assert torch.equal(a.x, x) == untouched
    if name in ("mixup", "cutmix"):
        assert a.y_mix is not None and 0 <= a.lam <= 1
    else:
        assert a.y_mix is None and a.lam == 1.0


def test_mixup_blends_each_image_with_another_of_the_batch():
    x = torch.eye(4).repeat_interleave(16, dim=1)  # (4, 64): four distinct images
    y = torch.arange(4)
    out = aug.Augmenter("mixup", 0)(x, y)
    partner = out.y_mix  # labels = row index, so y_mix names the partner
    torch.testing.assert_close(out.x, out.lam * x + (1 - out.lam) * x[partner])


def test_digits_split_sizes_range_and_validation_independent_of_n_train():
    a, b = aug.digits_split(50, 500, 0), aug.digits_split(200, 500, 0)
    assert a.x_train.shape == (50, 64) and b.x_train.shape == (200, 64) and a.x_val.shape == (500, 64)
    assert 0 <= a.x_train.min() and a.x_train.max() <= 1
    assert torch.equal(a.x_val, b.x_val) and torch.equal(a.x_train, b.x_train[:50])


@pytest.mark.parametrize(("kw", "words"), [
    (dict(augmentation="flip"), "augmentation must be one of"),
    (dict(n_train=5), "number of training images must be ≥ 10"),
    (dict(smoothing=1.0), "label smoothing ε must be ≥ 0 and ≤ 0.9"),
])
def test_bad_settings_are_sentences(kw, words):
    with pytest.raises(ValueError, match=words):
        aug.AugmentConfig(**kw)


def test_too_many_images_is_a_sentence():
    with pytest.raises(ValueError, match="training \\+ validation images must be ≤ 1797"):
        aug.digits_split(1000, 1000, 0)


def test_calibration_on_hand_made_probabilities():
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.65, 0.35], [0.65, 0.35]])
    labels = np.array([0, 1, 0, 0])
    cal = aug.calibration(probs, labels)
    assert cal.counts.sum() == 4 and cal.counts[9] == 2 and cal.counts[6] == 2
    assert cal.accuracy[9] == 0.5 and cal.accuracy[6] == 1.0
    assert cal.mean_confidence == pytest.approx(0.8)
    assert cal.ece == pytest.approx(0.5 * 0.45 + 0.5 * 0.35)
    assert np.isnan(cal.confidence[0])


def test_calibration_of_a_diverged_run_does_not_crash():
    cal = aug.calibration(np.full((3, 10), np.nan), np.zeros(3, dtype=int))
    assert cal.mean_confidence == pytest.approx(0.1) and np.isfinite(cal.ece)


def test_trainer_is_deterministic_and_evaluation_sees_clean_images():
    cfg, train = aug.AugmentConfig(augmentation="cutmix", n_train=40), replace(aug.TRAIN, steps=20)
    a, b = aug.AugmentTrainer(cfg, train, "cpu").run(), aug.AugmentTrainer(cfg, train, "cpu").run()
    assert a.losses == b.losses
    assert a.recorder.steps().tolist() == [0, 10, 20]
    assert set(aug.robustness(a)) == set(aug.TEST_SETS)
    assert aug.robustness(a)["clean"] == aug.accuracy(a, a.dataset.x_val, a.dataset.y_val)


def test_step_zero_measurement_does_not_shift_the_augmentation_draws():
    t = aug.AugmentTrainer(aug.AugmentConfig(augmentation="noise", n_train=40), replace(aug.TRAIN, steps=2), "cpu")
    fresh = aug.Augmenter("noise", aug.TRAIN.seed)
    x = t.dataset.x_train[t.batches.peek()]
    t.advance(1)
    torch.testing.assert_close(t.last_batch.x, fresh(x, x[:, 0].long()).x)


def test_a_huge_learning_rate_diverges_with_a_message_not_an_exception():
    t = aug.AugmentTrainer(aug.AugmentConfig(augmentation="mixup"), replace(aug.TRAIN, lr=10.0), "cpu").run()
    assert t.diverged and t.message.startswith("diverged at step")
    assert set(aug.robustness(t)) == set(aug.TEST_SETS)


def test_last_batch_images_are_the_augmented_batch_and_default_experiment():
    t = aug.AugmentTrainer(aug.AugmentConfig(augmentation="cutout", n_train=40), replace(aug.TRAIN, steps=3), "cpu")
    t.advance(2)
    images = aug.last_batch_images(t, n=5)
    assert images.shape == (5, 8, 8)
    np.testing.assert_array_equal(images, t.last_batch.x[:5].view(-1, 8, 8).numpy())
    assert ((images == 0).sum(axis=(1, 2)) >= 9).all()  # every image has its 3×3 hole
    result = aug.default_experiment("cpu")
    assert list(result) == [aug.LABELS[a] for a in aug.DEFAULT_CHOICES]
    assert all(0 <= s.val_acc <= 1 and 0 <= s.ece <= 1 for s in result.values())
