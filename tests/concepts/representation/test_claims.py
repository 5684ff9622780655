"""Claim tests: every sentence the Representation learning page teaches that an experiment can check.

The page's default network is trained once per seed for the module (seeds 0, 1, 2); the transfer
comparison once with its defaults.
"""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore.labs import representation as rp

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def runs(one_thread):
    """The default run, trained to the end, on seeds 0, 1, 2: {seed: RepresentationRun}."""
    return {s: rp.RepresentationRun(replace(rp.REPRESENTATION, seed=s)).run() for s in SEEDS}


@pytest.fixture(scope="module")
def probes(runs):
    return {s: rp.probe_layers(run) for s, run in runs.items()}


@pytest.fixture(scope="module")
def transfer(one_thread):
    return rp.transfer(rp.TRANSFER)


# ------------------------------------------------------------------ the 2-D view and separation
def test_every_hidden_layer_separates_the_classes_better_at_the_end_than_at_the_start(runs):
    """"Over training, the classes pull apart in every hidden layer: the 5-NN accuracy and the
    Fisher ratio of each layer's view rise from their values at step 0.\""""
    for run in runs.values():
        for attribute in ("knn", "fisher"):
            _, values = run.separation(attribute)  # (snapshots, depth + 1)
            assert np.all(values[-1, 1:] > values[0, 1:]), (attribute, values[0], values[-1])
        _, fisher = run.separation("fisher")
        assert np.all(fisher[-1, 1:] > 3 * fisher[0, 1:])


def test_the_trained_layers_2d_view_separates_classes_better_than_the_pixels_view(runs):
    """"At the end, the 2-D view of the last hidden layer separates the digits at least twice as
    well as the same view of the raw pixels (Fisher ratio).\""""
    for run in runs.values():
        _, fisher = run.separation("fisher")
        assert fisher[-1, -1] > 2 * fisher[-1, 0], fisher[-1]


def test_before_training_deeper_random_layers_blur_the_classes(runs):
    """"Before training, each random layer blurs the classes a little more: the 5-NN accuracy
    falls with depth, below that of the pixels.\""""
    for run in runs.values():
        _, knn = run.separation("knn")
        assert np.all(np.diff(knn[0]) < 0), knn[0]


# ------------------------------------------------------------------ linear probes
def test_after_training_probe_accuracy_rises_with_depth(probes):
    """"After training, a linear probe on 50 labels does better at every depth: pixels < layer 1 <
    layer 2 < layer 3, and layer 3 at least 10 points above the pixels.\""""
    for p in probes.values():
        assert all(a < b for a, b in zip(p.after, p.after[1:])), p.after
        assert p.after[-1] > p.after[0] + 0.10


def test_before_training_probe_accuracy_falls_with_depth(probes):
    """"The same probe on the untrained network falls with depth — layer 3 at least 20 points
    below the pixels: depth alone makes nothing better; training does.\""""
    for p in probes.values():
        assert all(a > b for a, b in zip(p.before, p.before[1:])), p.before
        assert p.before[-1] < p.before[0] - 0.20


def test_with_every_label_the_pixels_are_already_almost_linearly_separable(runs):
    """"With all 1,258 training labels the probe on raw pixels already scores about 0.96, and the
    last layer adds at most a few points: on the digits, depth matters when labels are few.\""""
    run = runs[0]
    full = rp.probe_layers(run, labels=len(run.trainer.dataset.y_train))
    assert full.labels == 1258
    assert full.after[0] > 0.94
    assert abs(full.after[-1] - full.after[0]) < 0.04


# ------------------------------------------------------------------ learned features
def test_weights_from_always_blank_pixels_never_change(runs):
    """"Three pixels — the top-left corner and the two ends of the middle row — are blank in every
    training image, so no gradient ever reaches their weights: those stay exactly as they were drawn.\""""
    run = runs[0]
    x = run.trainer.dataset.x_train  # centred: a pixel that never varies is 0 everywhere
    blank = torch.nonzero((x == 0).all(dim=0)).squeeze(1)
    assert blank.tolist() == [0, 32, 39]  # (row 0, col 0), (row 4, col 0), (row 4, col 7)
    before, after = run.initial.blocks[0].linear.weight, run.trainer.model.blocks[0].linear.weight
    assert torch.equal(before[:, blank], after[:, blank].cpu())
    moved = (after.cpu() - before).abs().mean(dim=0)  # (64,)
    assert moved.max() > 0.05


def test_training_makes_the_first_layers_weights_smoother(runs):
    """"Neighbouring pixels' weights are uncorrelated at step 0 (noise) and correlated after training;
    the change training made is smoother still.\""""
    for run in runs.values():
        w0 = run.initial.blocks[0].linear.weight.detach().reshape(-1, 8, 8).numpy()
        w1 = run.first_layer_weights()
        assert abs(rp.neighbour_correlation(w0)) < 0.1
        assert rp.neighbour_correlation(w1) > 0.15
        assert rp.neighbour_correlation(w1 - w0) > rp.neighbour_correlation(w1) + 0.05


def test_the_change_is_about_as_large_as_the_random_start_and_more_steps_barely_change_it(runs):
    """"Training adds smooth patches … on top of a random start of about the same size, and the
    noise stays (more steps barely change this).\""""
    def measure(run):
        w0 = run.initial.blocks[0].linear.weight.detach().reshape(-1, 8, 8).numpy()
        w1 = run.first_layer_weights()
        return np.abs(w1 - w0).mean() / np.abs(w0).mean(), rp.neighbour_correlation(w1)

    ratio, smooth = measure(runs[0])
    assert 0.5 < ratio < 2
    longer = rp.RepresentationRun(replace(rp.REPRESENTATION, steps=1500, snapshot_every=500)).run()
    ratio_long, smooth_long = measure(longer)
    assert ratio_long < 2 and abs(smooth_long - smooth) < 0.05


# ------------------------------------------------------------------ transfer
def test_features_learned_on_0_to_4_transfer_worse_than_raw_pixels(transfer):
    """"Frozen features of the network trained on 0–4 score below the raw pixels on 5–9 (5 labels
    per class), and its deeper layer scores worse than its first.\""""
    narrow = transfer.mean["digits 0–4"]
    assert narrow["frozen layer 2 + linear"] < narrow["pixels + linear"] - 0.05
    assert narrow["frozen layer 2 + linear"] < narrow["frozen layer 1 + linear"]


def test_fine_tuning_the_narrow_source_gains_nothing_over_training_from_scratch(transfer):
    """"Fine-tuning the 0–4 network gains nothing over training the same network from scratch
    (within 3 points).\""""
    narrow = transfer.mean["digits 0–4"]
    assert narrow["fine-tune the whole network"] < narrow["same network from scratch"] + 0.03


def test_features_learned_on_all_ten_digits_transfer_well(transfer):
    """"Frozen layer-2 features of the network trained on all ten digits (other images) beat the
    raw pixels and training from scratch by at least 4 points.\""""
    broad = transfer.mean["all ten digits"]
    assert broad["frozen layer 2 + linear"] > broad["pixels + linear"] + 0.04
    assert broad["frozen layer 2 + linear"] > broad["same network from scratch"] + 0.04
    assert broad["fine-tune the whole network"] > broad["same network from scratch"] + 0.03


def test_both_source_networks_solve_their_own_task(transfer):
    """"Both source networks do their own job well (≥ 95 % on held-out source images): the
    narrow one fails on 5–9 because of what it learned, not because it learned badly.\""""
    assert min(transfer.source_acc.values()) > 0.95
