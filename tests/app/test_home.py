"""The home page's experiment (dlcore.labs.what_is_dl): a linear model vs a small deep network on
the same 2-D points — the claims its text makes, and the page drawing it."""

import time

import pytest
import torch

from dlcore import boundary
from dlcore.labs import what_is_dl as wd
from tests.support.helpers import app_at, figure, values


def trained(data: str, seed: int = 0) -> dict:
    runs = wd.trainers(wd.WhatIsDLConfig(data=data, seed=seed), "cpu")
    for t in runs.values():
        t.run()
    return runs


def final_acc(trainer) -> float:
    return trainer.recorder.records[-1].val_acc


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_on_the_circle_the_linear_model_is_no_better_than_a_coin_and_the_network_separates_it(one_thread, seed):
    """"On the circle the linear model cannot do better than a coin toss … while the network bends
    its boundary around the disc.\""""
    runs = trained("circle", seed)
    assert final_acc(runs[wd.LINEAR]) < 0.6  # a coin toss scores 0.5 on these balanced classes
    assert final_acc(runs[wd.DEEP]) > 0.95


def test_the_linear_models_boundary_is_a_straight_line(one_thread):
    """"A linear model: one weighted sum, so one straight cut through the plane." Its P = 0.5 set
    on the grid lies on the line W·x + b = 0 of its own weights."""
    runs = trained("circle")
    layer = runs[wd.LINEAR].model
    axis, p = boundary.probability_grid(runs[wd.LINEAR], n=60)
    w = (layer.weight[1] - layer.weight[0]).detach().numpy()
    b = float((layer.bias[1] - layer.bias[0]).detach())
    xx, yy = torch.meshgrid(torch.from_numpy(axis), torch.from_numpy(axis), indexing="xy")
    side = (w[0] * xx.numpy() + w[1] * yy.numpy() + b) > 0
    assert ((p > 0.5) == side).mean() > 0.99


def test_on_gaussian_blobs_a_straight_line_suffices(one_thread):
    """"Try the Gaussian blobs: a straight line suffices there, and the linear model does as well.\""""
    runs = trained("gaussians")
    assert final_acc(runs[wd.LINEAR]) >= final_acc(runs[wd.DEEP]) - 0.02 and final_acc(runs[wd.LINEAR]) > 0.95


def test_both_runs_share_data_and_batches_and_finish_fast(one_thread):
    """"Trained live and fast": both runs, with their boundaries, well under a second of CPU."""
    start = time.process_time()
    runs = trained("circle")
    for t in runs.values():
        boundary.probability_grid(t, n=50)
    assert time.process_time() - start < 1.0
    a, b = runs.values()
    assert torch.equal(a.dataset.x_train, b.dataset.x_train)
    assert a.batches.generator.initial_seed() == b.batches.generator.initial_seed()


def test_a_bad_data_set_is_a_readable_error():
    with pytest.raises(ValueError, match="data set must be one of"):
        wd.WhatIsDLConfig(data="digits")


def test_home_draws_both_boundaries_and_the_data_choice_changes_them():
    at = app_at()
    assert not at.exception
    fig = figure(at, "Decision boundary")
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles == [wd.LINEAR, wd.DEEP]
    circle = values(fig["data"][0]["z"])
    assert any("validation accuracy" in c.value for c in at.caption)
    at.selectbox(key="home.data").select("xor").run()
    assert not at.exception
    assert not (values(figure(at, "Decision boundary")["data"][0]["z"]) == circle).all()
