"""Claim tests: every sentence the Data augmentation page teaches that an experiment can check.

The page's experiment (every augmentation, 100 training digits, 300 steps) is trained once per
seed for the whole module, through the lab's own ``AugmentTrainer``.
"""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore.labs import augmentation as aug

SEEDS = (0, 1, 2)
L = aug.LABELS


def trained(choices, seed, **base):
    cfg = replace(aug.AugmentConfig(), seed=seed, **base)
    runs = aug.experiment(choices, cfg, replace(aug.TRAIN, seed=seed), device="cpu")
    return {name: t.run() for name, t in runs.items()}


@pytest.fixture(scope="module")
def runs(one_thread):
    """{seed: {label: finished trainer}} for every augmentation, seeds 0, 1, 2."""
    return {seed: trained(aug.AUGMENTATIONS, seed) for seed in SEEDS}


@pytest.fixture(scope="module")
def scores(runs):
    """{seed: {label: {test set: accuracy}}}."""
    return {seed: {name: aug.robustness(t) for name, t in r.items()} for seed, r in runs.items()}


def test_the_plain_network_memorises_its_100_images(runs, scores):
    """"The plain network reaches training accuracy 1.0 while its validation accuracy stays near 0.89"."""
    for seed in SEEDS:
        plain = runs[seed][L["none"]]
        assert plain.recorder.series("train_acc")[-1] == 1.0
        assert 0.86 <= scores[seed][L["none"]]["clean"] <= 0.92


def test_one_pixel_shift_breaks_the_plain_network(scores):
    """"Move the validation digits by one pixel and the plain network falls from about 0.89 to about 0.41"."""
    shifted = [scores[s][L["none"]]["shifted 1 px"] for s in SEEDS]
    assert all(0.34 <= a <= 0.47 for a in shifted), shifted
    assert abs(np.mean(shifted) - 0.41) < 0.03


def test_shift_training_keeps_accuracy_on_shifted_digits(scores):
    """"Trained with ±1-pixel shifts it keeps about 0.85 on the shifted digits (seeds 0, 1, 2: at least
    0.35 above the plain network)"."""
    for seed in SEEDS:
        s = scores[seed]
        assert 0.80 <= s[L["shift"]]["shifted 1 px"] <= 0.90
        assert s[L["shift"]]["shifted 1 px"] >= s[L["none"]]["shifted 1 px"] + 0.35


def test_rotation_training_lifts_accuracy_on_rotated_digits(scores):
    """"Rotation training lifts the accuracy on digits turned by 15° by at least 0.07"."""
    for seed in SEEDS:
        s = scores[seed]
        assert s[L["rotate"]]["rotated 15°"] >= s[L["none"]]["rotated 15°"] + 0.07


def test_robustness_is_specific_to_what_was_varied(scores):
    """"The shift-trained network is no better on rotated or noisy digits — it is worse"."""
    for seed in SEEDS:
        s = scores[seed]
        for test in ("rotated 15°", "noisy σ 0.3"):
            assert s[L["shift"]][test] < s[L["none"]][test], (seed, test)


def test_shift_costs_a_little_on_the_clean_digits(scores):
    """"Shift training scores within two points of the plain network, usually just below it
    (0.884 against 0.894 at seed 0)"."""
    for seed in SEEDS:
        diff = scores[seed][L["shift"]]["clean"] - scores[seed][L["none"]]["clean"]
        assert -0.02 <= diff <= 0.0, (seed, diff)
    assert scores[0][L["shift"]]["clean"] == pytest.approx(0.884, abs=0.005)
    assert scores[0][L["none"]]["clean"] == pytest.approx(0.894, abs=0.005)


def test_cutout_costs_several_points_and_mixing_at_most_four(scores):
    """"Cutout costs several points …; mixup and CutMix cost between zero and four points"."""
    for seed in SEEDS:
        s, plain = scores[seed], scores[seed][L["none"]]["clean"]
        assert s[L["cutout"]]["clean"] <= plain - 0.03
        for name in ("mixup", "cutmix"):
            assert plain - 0.04 <= s[L[name]]["clean"] <= plain + 0.005, (seed, name)


def test_no_augmentation_buys_more_than_two_points_of_clean_accuracy(scores):
    """"On these tiny images no augmentation here buys more than a point or two of clean accuracy"."""
    for seed in SEEDS:
        plain = scores[seed][L["none"]]["clean"]
        assert max(a["clean"] for a in scores[seed].values()) <= plain + 0.02


def test_with_50_images_rotation_lifts_clean_accuracy():
    """"With 50 training images, rotation lifts even the clean accuracy by a point or two (seeds 0, 1, 2)"."""
    for seed in SEEDS:
        r = trained(("none", "rotate"), seed, n_train=50)
        gain = aug.robustness(r[L["rotate"]])["clean"] - aug.robustness(r[L["none"]])["clean"]
        assert 0.005 <= gain <= 0.03, (seed, gain)


def test_mixed_runs_still_fit_the_clean_training_images(runs):
    """"Train accuracy is measured on the clean images, so the mixup and CutMix runs still reach 1.0"."""
    for seed in SEEDS:
        for name in ("mixup", "cutmix"):
            assert runs[seed][L[name]].recorder.series("train_acc")[-1] == 1.0


# ------------------------------------------------------------------ label smoothing and calibration
def test_label_smoothing_lowers_confidence_but_keeps_accuracy(runs, scores):
    """"Smoothing with ε = 0.1 lowers the mean max-probability from about 0.94 to about 0.72, while the
    accuracy stays within two points"."""
    for seed in SEEDS:
        plain = aug.validation_calibration(runs[seed][L["none"]])
        smooth = aug.validation_calibration(runs[seed][L["smoothing"]])
        assert 0.92 <= plain.mean_confidence <= 0.96
        assert 0.69 <= smooth.mean_confidence <= 0.74
        assert abs(scores[seed][L["smoothing"]]["clean"] - scores[seed][L["none"]]["clean"]) <= 0.02


def test_this_small_network_is_only_a_little_over_confident_and_smoothing_overshoots(runs, scores):
    """"Confidence 0.94 for an accuracy of 0.89, ECE about 0.05 … it becomes under-confident and its ECE
    rises to about 0.18"."""
    for seed in SEEDS:
        plain = aug.validation_calibration(runs[seed][L["none"]])
        smooth = aug.validation_calibration(runs[seed][L["smoothing"]])
        acc_plain, acc_smooth = scores[seed][L["none"]]["clean"], scores[seed][L["smoothing"]]["clean"]
        assert 0.02 <= plain.mean_confidence - acc_plain <= 0.07  # a little over-confident
        assert 0.03 <= plain.ece <= 0.07
        assert smooth.mean_confidence < acc_smooth - 0.1  # under-confident
        assert 0.15 <= smooth.ece <= 0.21 and smooth.ece > 2 * plain.ece


def test_mixup_and_cutmix_lower_the_confidence_too(runs):
    """"Mixup and CutMix train on soft targets too, and lower the confidence in the same way"."""
    for seed in SEEDS:
        plain = aug.validation_calibration(runs[seed][L["none"]]).mean_confidence
        for name in ("mixup", "cutmix"):
            assert aug.validation_calibration(runs[seed][L[name]]).mean_confidence < plain - 0.1


def test_smoothed_targets_bound_the_logit_gap():
    """"The best the network can do is a confident but finite answer": the smoothed loss is minimised
    at a finite gap log((1 − ε + ε/K)/(ε/K)) between the true logit and the others, as a one-hot
    loss is not."""
    eps, k = 0.1, 10
    gaps = torch.linspace(0, 20, 2001, dtype=torch.float64)
    logits = torch.zeros(len(gaps), k, dtype=torch.float64)
    logits[:, 0] = gaps
    target = torch.zeros(len(gaps), dtype=torch.long)
    smooth = torch.nn.functional.cross_entropy(logits, target, label_smoothing=eps, reduction="none")
    onehot = torch.nn.functional.cross_entropy(logits, target, reduction="none")
    best = gaps[smooth.argmin()].item()
    assert best == pytest.approx(np.log((1 - eps + eps / k) / (eps / k)), abs=0.02)
    assert (onehot.diff() < 0).all()  # one-hot: always better further out


def test_the_augmentation_is_what_the_trainer_trains_on():
    """"Each training step draws a mini-batch and transforms it on the fly … with the run's own seeded
    generator": the batch the network saw is the augmenter's draw, and a link (same seed) repeats it."""
    cfg = aug.AugmentConfig(augmentation="shift")
    a, b = (aug.AugmentTrainer(cfg, replace(aug.TRAIN, steps=5), "cpu") for _ in range(2))
    a.advance(3), b.advance(3)
    assert torch.equal(a.last_batch.x, b.last_batch.x)
    clean = a.dataset.x_train[a.batches._perm[64:96]]  # step 3's batch (32 per step)
    assert not torch.equal(a.last_batch.x, clean)
    assert a.losses == b.losses
