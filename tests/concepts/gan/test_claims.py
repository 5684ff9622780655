"""Claim tests for the GAN page (assets/pages/gan.md): each runs the page's own experiment."""

from dataclasses import replace

import pytest
import torch

from dlcore.labs import gan as lab

DEFAULT = lab.GANTrainConfig()


def trained(train: lab.GANTrainConfig) -> lab.GANTrainer:
    return lab.GANTrainer(train=train).run()


@pytest.fixture(scope="module")
def default_run() -> lab.GANTrainer:
    return trained(DEFAULT)


@pytest.fixture(scope="module")
def series(default_run) -> dict:
    return default_run.series()


def covered_at(series: dict, step: int) -> int:
    return int(series["modes_covered"][list(series["record_steps"]).index(step)])


def test_the_default_run_covers_every_mode_on_seed_0(default_run, series):
    """Page: «On seed 0 the default run covers none of the 8 modes for its first 400 steps, then all 8
    by the end, with about 80 % of its points good.» (The issue asks for at least 5.)"""
    assert max(covered_at(series, s) for s in range(0, 401, 50)) <= 1
    assert default_run.records[-1].modes_covered == 8
    assert 0.7 < default_run.records[-1].good_share < 0.9


def test_results_vary_with_the_seed(default_run):
    """Page: «Results vary with the seed: the same settings on seed 1 end with fewer modes (6 of 8).»"""
    other = trained(replace(DEFAULT, seed=1)).records[-1]
    assert 4 <= other.modes_covered < default_run.records[-1].modes_covered


def test_a_generator_heavy_set_up_collapses():
    """Page: «Generator-heavy (G's learning rate 100× D's): the points chase D's last opinion and the run
    collapses — at most 2 modes (none on seed 0).»"""
    final = trained(lab.PRESETS["generator-heavy"]).records[-1]
    assert final.modes_covered <= 2
    assert final.modes_covered == 0 and final.good_share < 0.05


def test_a_discriminator_heavy_set_up_collapses_onto_one_blob_of_good_points():
    """Page: «Discriminator-heavy (D's learning rate 100× G's, 3 D steps per G step): G puts almost all its
    points on one blob — at most 2 modes, although over 90 % of its points are good: a share of
    good samples alone would call this run perfect.»"""
    final = trained(lab.PRESETS["discriminator-heavy"]).records[-1]
    assert final.modes_covered <= 2
    assert final.good_share > 0.9


def test_non_saturating_gives_a_larger_gradient_than_minimax_when_d_rejects_the_fakes():
    """Page: «When D confidently rejects the fakes (after 10 steps of the discriminator-heavy set-up,
    D(G(z)) ≈ 0.003), the non-saturating loss gives G a gradient over 100× larger than minimax.»"""
    run = lab.GANTrainer(train=lab.PRESETS["discriminator-heavy"])
    run.advance(10)
    assert run.mean_d_fake() < 0.01
    norms = run.generator_gradient_norms()
    assert norms["non_saturating"] > 100 * norms["minimax"]


def test_at_the_start_of_a_balanced_run_both_losses_push_alike():
    """Page: «At the start, with D(G(z)) ≈ ½, the two losses give G the same gradient (within 1 %).»"""
    norms = lab.GANTrainer(train=DEFAULT).generator_gradient_norms()
    assert norms["minimax"] == pytest.approx(norms["non_saturating"], rel=0.01)


def test_minimax_also_trains_in_the_balanced_set_up():
    """Page: «In the balanced set-up the original minimax loss trains too (at least 6 modes on seed 0):
    D is never confident enough early on for its gradient to vanish.»"""
    assert trained(replace(DEFAULT, loss="minimax")).records[-1].modes_covered >= 6


def test_the_losses_are_not_a_progress_bar(series):
    """Page: «The losses are no progress bar: between steps 200–400 and the last 200 steps the modes
    covered go from at most 1 to 8, while D's loss ends within 0.05 of where it was and G's loss
    ends higher.»"""
    early, late = slice(200, 400), slice(-200, None)
    assert covered_at(series, 400) <= 1 and series["modes_covered"][-1] == 8
    assert abs(series["d_loss"][late].mean() - series["d_loss"][early].mean()) < 0.05
    assert series["g_loss"][late].mean() > series["g_loss"][early].mean()


def test_d_ends_near_one_half_on_real_and_generated_points(series):
    """Page: «At the end D gives real and generated points alike a probability near ½ (within 0.1).»"""
    assert abs(series["d_real"][-1] - 0.5) < 0.1 and abs(series["d_fake"][-1] - 0.5) < 0.1


def test_the_arrows_point_to_where_d_says_real(default_run):
    """Page: «The arrows show where G's loss pushes each generated point: uphill on D's map, towards
    what D calls real.» — a small move along every arrow raises D(x)."""
    view = default_run.view()
    arrows = torch.from_numpy(view.arrows)  # (a, 2)
    points = torch.from_numpy(view.fake[: len(arrows)])  # (a, 2)
    step = 1e-3 * arrows / arrows.norm(dim=1, keepdim=True).clamp_min(1e-12)
    with torch.no_grad():
        rise = default_run.D(points + step) - default_run.D(points)
    assert (rise > 0).float().mean() > 0.95


def test_wasserstein_with_a_gradient_penalty_of_1_trains_and_with_10_not_yet():
    """Page: «The Wasserstein variant with gradient penalty λ = 1 covers at least 6 of 8 modes on seed 0,
    with fewer good points than the non-saturating run (about half); with the paper's λ = 10 it
    covers at most 2 in the same 2,000 steps.»"""
    wgan = trained(replace(DEFAULT, loss="wasserstein_gp", gp_weight=1.0)).records[-1]
    assert wgan.modes_covered >= 6 and 0.3 < wgan.good_share < 0.65
    assert trained(replace(DEFAULT, loss="wasserstein_gp", gp_weight=10.0)).records[-1].modes_covered <= 2


def test_a_learning_rate_of_10_blows_up_within_a_few_steps():
    """Page: «A learning rate of 10 blows up within a few steps ("diverged at step N").»"""
    run = trained(replace(DEFAULT, lr_g=10.0, lr_d=10.0))
    assert run.diverged and run.step <= 5 and run.message.startswith(f"diverged at step {run.step}")



def test_a_latent_of_size_1_leaves_points_in_the_gaps(default_run):
    """Page: «Try a latent size of 1: G must map a line onto 8 separate blobs, and a continuous map
    cannot jump between them without leaving points in the gaps.» — fewer good points than with 2."""
    from dlcore.models.gan import GANConfig

    line = lab.GANTrainer(gan=GANConfig(latent=1), train=DEFAULT).run().records[-1]
    assert line.good_share < default_run.records[-1].good_share - 0.1
