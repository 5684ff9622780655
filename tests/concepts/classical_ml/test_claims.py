"""Claim tests: every sentence the Deep learning vs classical ML page teaches that an experiment
can check. The page's default comparison runs once per seed (0, 1, 2) for the module."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore.labs import classical_ml as cl

SEEDS = (0, 1, 2)
CLASSICAL = ("logistic regression", "decision tree", "gradient boosting", "k-nearest neighbours")


@pytest.fixture(scope="module")
def runs(one_thread):
    return {s: cl.ClassicalRun(replace(cl.CLASSICAL, seed=s)).run() for s in SEEDS}


def acc(run, method, features="pixels"):
    return run.curve(features, method)[1]  # accuracy at each size, smallest first


def test_with_all_images_knn_is_best_and_the_mlp_does_not_beat_logistic_regression(runs):
    """"With all 1,258 images, k-nearest neighbours scores highest (about 0.98) and the MLP does not
    beat logistic regression.\""""
    for run in runs.values():
        full = {m: acc(run, m)[-1] for m in cl.METHODS}
        assert max(full, key=full.get) == "k-nearest neighbours", full
        assert full["k-nearest neighbours"] > 0.96
        assert full["MLP"] < full["logistic regression"] + 0.01


def test_with_20_images_logistic_regression_and_the_mlp_are_far_ahead(runs):
    """"With 20 images, logistic regression and the MLP (about 0.62) are far ahead of the trees and
    k-NN (under 0.5).\""""
    for run in runs.values():
        for m in ("logistic regression", "MLP"):
            assert 0.5 < acc(run, m)[0] < 0.75
        for m in ("decision tree", "gradient boosting", "k-nearest neighbours"):
            assert acc(run, m)[0] < 0.5
        assert min(acc(run, "logistic regression")[0], acc(run, "MLP")[0]) > max(
            acc(run, m)[0] for m in ("decision tree", "gradient boosting", "k-nearest neighbours")) + 0.1


def test_the_mlp_is_never_more_than_two_points_ahead_and_behind_at_full_size(runs):
    """"On these digits the MLP is never more than 2 points ahead of the best classical method at any
    size, and behind it with all the images: the curves do not cross in deep learning's favour.\""""
    for run in runs.values():
        for features in cl.FEATURE_SETS:
            best = np.max([acc(run, m, features) for m in CLASSICAL], axis=0)  # (sizes,)
            mlp = acc(run, "MLP", features)
            assert np.all(mlp < best + 0.02)
            assert mlp[-1] < best[-1]


def test_a_single_tree_is_the_lowest_curve_at_every_size(runs):
    """"A single tree is the weakest everywhere: the lowest curve at every size.\""""
    for run in runs.values():
        tree = acc(run, "decision tree")
        others = np.min([acc(run, m) for m in cl.METHODS if m != "decision tree"], axis=0)
        assert np.all(tree < others)


def test_every_method_gains_at_least_25_points_from_20_to_1258_images(runs):
    """"More data helps every method — each gains at least 25 points from 20 to 1,258 images.\""""
    for run in runs.values():
        for m in cl.METHODS:
            a = acc(run, m)
            assert a[-1] - a[0] >= 0.25, (m, a)


def test_hand_made_features_gain_at_most_two_points_and_the_trees_lose(runs):
    """"At full size no method gains more than 2 points from the hand-made features, and the trees
    lose.\""""
    for run in runs.values():
        for m in cl.METHODS:
            assert acc(run, m, "hand-made")[-1] < acc(run, m, "pixels")[-1] + 0.02, m
        for m in ("decision tree", "gradient boosting"):
            assert acc(run, m, "hand-made")[-1] < acc(run, m, "pixels")[-1]


def test_fitting_time_knn_only_stores_and_the_mlp_costs_several_logistic_regressions(runs):
    """"k-NN's fit only stores the data (about a millisecond), … the MLP several times logistic
    regression. Prediction is the other way round for k-NN." And k-NN keeps every training number."""
    fits = runs[0].largest("pixels")
    assert fits["k-nearest neighbours"].fit_seconds < 0.2 * fits["logistic regression"].fit_seconds
    assert fits["MLP"].fit_seconds > 3 * fits["logistic regression"].fit_seconds
    assert fits["k-nearest neighbours"].predict_seconds > 2 * fits["logistic regression"].predict_seconds
    slow = min(fits[m].fit_seconds for m in ("MLP", "gradient boosting"))  # "the MLP and boosting cost the most"
    assert slow > max(fits[m].fit_seconds for m in ("logistic regression", "decision tree", "k-nearest neighbours"))
    assert fits["k-nearest neighbours"].size == 1258 * 64
    assert fits["logistic regression"].size == 10 * 64 + 10


def test_the_zeros_weight_image_is_a_hole_in_the_middle(runs):
    """"The 0's image is a blue hole in the middle (a zero has no ink there).\""""
    for run in runs.values():
        w = cl.logistic_weights(run.largest("pixels")["logistic regression"])  # (10, 8, 8)
        centre = w[0, 3:5, 3:5].mean()
        assert centre < -0.5 and centre < w[0].mean() - 0.5


def test_logistic_regression_is_a_one_layer_network_with_softmax(runs):
    """"Logistic regression and a one-layer network with softmax are the same model.\""""
    fit = runs[0].largest("pixels")["logistic regression"]
    x = torch.from_numpy(runs[0].scaled["pixels"][1])  # (539, 64)
    layer = torch.nn.Linear(64, 10)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(fit.model.coef_))
        layer.bias.copy_(torch.from_numpy(fit.model.intercept_))
        probs = torch.softmax(layer(x), dim=1).numpy()
    np.testing.assert_allclose(probs, fit.model.predict_proba(x.numpy()), atol=1e-4)


def test_a_tiny_learning_rate_underfits_in_150_steps():
    """"Lower its learning rate to 0.0003 and it under-fits in its 150 steps (below 0.75 even with
    every image, its training accuracy too).\""""
    cfg = replace(cl.CLASSICAL, methods=("MLP",), feature_sets=("pixels",), sizes=(1258,), mlp_lr=0.0003)
    assert cfg.mlp_steps == 150
    fit = cl.ClassicalRun(cfg).run().largest("pixels")["MLP"]
    assert fit.accuracy < 0.75 and fit.model.recorder.records[-1].train_acc < 0.8
