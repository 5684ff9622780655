"""The home page's experiment (dlcore.labs.what_is_dl): a linear model vs a small deep network on
the same 2-D points — the claims its text makes, and the page drawing it."""

import time

import numpy as np
import pytest
import torch

from dlcore import boundary, stable_hash
from dlcore.labs import what_is_dl as wd
from dlcore.upload import parse_csv, sample_csv
from tests.support.helpers import app_at, figure, trains_on_uploads, values


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


# --- Your own data --------------------------------------------------------------------------------
def test_on_your_own_circle_of_points_the_linear_model_still_cannot_and_the_network_can(one_thread):
    """The claim holds on a learner's file as on the built-in set: both models train on the file's
    points (standardised), the straight line stays near a coin toss, the network separates them."""
    own = parse_csv(sample_csv("circle", 400, seed=7))
    cfg = wd.WhatIsDLConfig(upload=own)
    runs = wd.trainers(cfg, "cpu")
    expected = own.to_dataset(cfg.configs()[0])
    for t in runs.values():
        assert torch.equal(t.dataset.x_train, expected.x_train) and torch.equal(t.dataset.y_train, expected.y_train)
        t.run()
    assert final_acc(runs[wd.LINEAR]) < 0.6 and final_acc(runs[wd.DEEP]) > 0.95


def test_the_upload_names_the_run_by_its_content():
    a, b = (parse_csv(sample_csv("moons", 100, seed=s)) for s in (1, 2))
    renamed = parse_csv(sample_csv("moons", 100, seed=1), filename="another name.csv")
    hashes = [stable_hash(wd.WhatIsDLConfig(upload=u)) for u in (None, a, b, renamed)]
    assert len(set(hashes[:3])) == 3 and hashes[3] == hashes[1]
    with pytest.raises(ValueError, match="2-D points"):
        wd.WhatIsDLConfig(upload=parse_csv(sample_csv("digits", 200), "tabular"))


def test_home_trains_both_models_on_an_uploaded_file_and_draws_its_points():
    at = app_at()
    run = trains_on_uploads(at, "home")
    assert list(run.trainers) == [wd.LINEAR, wd.DEEP]
    scatter = figure(at, "Decision boundary")["data"][1]  # the training points over the first panel
    drawn = np.c_[values(scatter["x"]), values(scatter["y"])]  # (n_train, 2)
    own = parse_csv(sample_csv("moons", 120, seed=3)).to_dataset(wd.WhatIsDLConfig().configs()[0])
    assert drawn.shape == (84, 2) and np.allclose(drawn, own.x_train.numpy())  # 120 points, 36 held out
    assert any(f"{wd.LINEAR}**: validation accuracy" in c.value for c in at.caption)


@pytest.mark.browser
def test_uploading_on_home_in_the_browser(page, app_url, screenshot_dir, tmp_path):
    """As a person would: open the group, pick a bad file, then a good one; both boundaries redraw
    on the file's points."""
    from playwright.sync_api import expect

    from tests.support.browser import idle, no_exception, open_page

    open_page(page, app_url)
    page.get_by_text("Use your own data (a CSV file)").click()
    chooser = page.get_by_test_id("stFileUploaderDropzoneInput")
    bad, good = tmp_path / "bad.csv", tmp_path / "xor.csv"
    bad.write_text("x1,x2,label\n0.1,oops,0\n")
    good.write_text(sample_csv("xor", 160, seed=5))
    chooser.set_input_files(str(bad))
    idle(page)
    expect(page.get_by_text("This file can't be used: line 2")).to_be_visible()
    chooser.set_input_files(str(good))
    idle(page)
    expect(page.get_by_text("160 examples, 2 features, 2 classes")).to_be_visible()
    expect(page.get_by_text("Both models train on your file")).to_be_visible()
    # The file's points on the chart (160 less 48 held out; the circle set drew 280): the new run is drawn.
    points = page.get_by_test_id("stPlotlyChart").first.locator(".scatterlayer .trace").first.locator("path.point")
    expect(points).to_have_count(112)
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()  # it trains in a fragment: no status widget
    expect(page.get_by_text(f"{wd.DEEP}: validation accuracy")).to_have_count(1)
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 1800})
    idle(page)
    page.screenshot(path=str(screenshot_dir / "home_upload.png"), full_page=False)
