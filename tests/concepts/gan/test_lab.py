"""Unit tests of the GAN model and laboratory: shapes, checks as sentences, determinism."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore.labs import gan as lab
from dlcore.models.gan import GANConfig, build_gan

SHORT = lab.GANTrainConfig(steps=30, record_every=10)


def test_networks_have_the_shapes_of_the_config_and_name_their_layers():
    g, d = build_gan(GANConfig(latent=3, width=16, depth=2), seed=0)
    assert g(torch.zeros(5, 3)).shape == (5, 2)
    assert d(torch.zeros(5, 2)).shape == (5,)
    assert [layer.name for layer in g.layers()] == ["G1", "G2", "G3"]
    assert [layer.activation for layer in d.layers()] == ["relu", "relu", None]


def test_building_is_seeded_and_leaves_the_global_random_state_alone():
    state = torch.get_rng_state()
    g1, _ = build_gan(GANConfig(), seed=4)
    assert torch.equal(state, torch.get_rng_state())
    g2, _ = build_gan(GANConfig(), seed=4)
    g3, _ = build_gan(GANConfig(), seed=5)
    w = [net.linears()[0].weight for net in (g1, g2, g3)]
    assert torch.equal(w[0], w[1]) and not torch.equal(w[0], w[2])
    bound = 1 / np.sqrt(GANConfig().latent)  # PyTorch's default rule: U(±1/√fan_in)
    assert w[0].abs().max() <= bound


@pytest.mark.parametrize("make, message", [
    (lambda: GANConfig(width=0), "width must be ≥ 2"),
    (lambda: GANConfig(latent=100), "latent size must be ≥ 1 and ≤ 64"),
    (lambda: lab.GANTrainConfig(loss="hinge"), "GAN loss must be one of minimax, non_saturating"),
    (lambda: lab.GANTrainConfig(lr_g=0), "generator learning rate must be > 0"),
    (lambda: lab.GANTrainConfig(d_steps=0), "discriminator steps per generator step must be ≥ 1"),
    (lambda: lab.MixtureConfig(shape="spiral"), "data shape must be one of ring, grid"),
    (lambda: lab.MixtureConfig(std=5.0), "blob standard deviation must be"),
])
def test_bad_settings_raise_a_sentence(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("shape", lab.SHAPES)
def test_the_mixture_puts_every_point_near_one_of_its_modes(shape):
    mix = lab.MixtureConfig(shape=shape)
    assert mix.centers().shape == (8, 2)
    assert torch.cdist(mix.centers(), mix.centers()).add(torch.eye(8) * 99).min() > 10 * mix.std
    points = mix.sample(4000, torch.Generator().manual_seed(0))
    cov = lab.coverage(points, mix)
    assert cov.covered == 8 and cov.good_share > 0.98  # 3σ holds 98.9 % of a 2-D Gaussian
    assert max(cov.per_mode) < 0.15 and min(cov.per_mode) > 0.10


def test_coverage_counts_modes_and_good_points():
    mix = lab.MixtureConfig()
    c = mix.centers()
    one_mode = c[:1].repeat(100, 1)  # (100, 2) every point on mode 0
    assert lab.coverage(one_mode, mix).covered == 1
    between = (c[0] + c[1]) / 2
    half_bad = torch.cat([c[:4].repeat(25, 1), between.repeat(100, 1)])  # 100 good on 4 modes, 100 bad
    cov = lab.coverage(half_bad, mix)
    assert (cov.covered, cov.good_share) == (4, 0.5)
    sparse = torch.cat([c[:1], between.repeat(99, 1)])  # 1 % of the points on mode 0: below 2 %
    assert lab.coverage(sparse, mix).covered == 0
    assert lab.coverage(torch.full((10, 2), float("nan")), mix).covered == 0


def test_a_run_records_losses_every_step_and_coverage_every_n_steps():
    t = lab.GANTrainer(train=SHORT)
    assert t.status == "ready" and len(t.records) == 1  # step 0 is recorded
    assert t.advance(15) == 15 and t.status == "running"
    t.run()
    s = t.series()
    assert t.status == "finished" and t.step == 30
    assert len(s["d_loss"]) == len(s["g_loss"]) == len(s["g_grad_norm"]) == 30
    assert list(s["record_steps"]) == [0, 10, 20, 30]
    assert t.records[-1].samples.shape == (lab.N_SHOWN, 2)
    assert t.advance(5) == 0  # a finished run takes no more steps


def test_same_seed_same_run_other_seed_other_run():
    a = lab.GANTrainer(train=SHORT).run().series()
    b = lab.GANTrainer(train=SHORT).run().series()
    c = lab.GANTrainer(train=replace(SHORT, seed=1)).run().series()
    assert np.array_equal(a["g_loss"], b["g_loss"]) and np.array_equal(a["d_loss"], b["d_loss"])
    assert not np.array_equal(a["g_loss"], c["g_loss"])


@pytest.mark.parametrize("loss", lab.LOSSES)
def test_every_loss_trains_and_the_view_has_the_charts_shapes(loss):
    t = lab.GANTrainer(train=replace(SHORT, loss=loss)).run()
    assert t.status == "finished" and np.isfinite(t.series()["g_loss"]).all()
    v = t.view(grid=20, arrows=50)
    assert v.axis.shape == (20,) and v.d_grid.shape == (20, 20)
    assert v.fake.shape == (lab.N_SHOWN, 2) and v.arrows.shape == (50, 2)
    assert v.probability == (loss != "wasserstein_gp")
    if v.probability:
        assert 0 <= v.d_grid.min() and v.d_grid.max() <= 1


def test_a_huge_learning_rate_ends_the_run_as_diverged_with_its_step():
    t = lab.GANTrainer(train=replace(SHORT, lr_g=10.0, lr_d=10.0)).run()
    assert t.diverged and t.message.startswith(f"diverged at step {t.step}:")
    assert t.step < 30


def test_the_step_cap_keeps_every_combination_within_the_budget():
    default = lab.GANTrainConfig()
    assert lab.max_steps(GANConfig(), default) >= default.steps  # the default is not capped
    heavy = replace(default, loss="wasserstein_gp", d_steps=5)
    cap = lab.max_steps(GANConfig(width=256), heavy)
    assert cap % default.record_every == 0 and cap >= default.record_every
    assert cap * lab.step_cost(GANConfig(width=256), heavy) <= lab.COST_BUDGET


def test_the_logit_gradients_are_minus_d_and_minus_one_minus_d():
    d = torch.tensor([0.01, 0.5, 0.99])
    assert torch.allclose(lab.logit_gradient("minimax", d), -d.double(), atol=1e-6)
    assert torch.allclose(lab.logit_gradient("non_saturating", d), -(1 - d.double()), atol=1e-6)


def test_the_default_experiment_runs_to_the_end():
    t = lab.default_experiment(None)
    assert t.status == "finished" and t.step == lab.GANTrainConfig().steps


# --- Your own data ----------------------------------------------------------------------------------
def moons(seed: int = 3, n: int = 120):
    from dlcore.upload import parse_csv, sample_csv

    return parse_csv(sample_csv("moons", n, seed=seed), "2d")


def test_uploaded_points_fill_the_blobs_square_and_their_repr_rebuilds_them():
    data = moons()
    mix = lab.uploaded_points(data)
    assert (mix.n, mix.modes) == (120, 2)
    assert mix.points.min(dim=0).values.tolist() == [-2.0, -2.0] and mix.points.max(dim=0).values.tolist() == [2, 2]
    assert mix.labels.tolist() == data.y.tolist()
    assert eval(repr(mix), vars(lab)) == mix  # what an exported script runs
    assert lab.uploaded_points(moons(seed=4)) != mix


def test_coverage_of_an_upload_counts_its_classes_as_modes():
    mix = lab.uploaded_points(moons())
    points, labels = mix.points, mix.labels
    all_of_them = lab.coverage(points, mix)
    assert all_of_them.covered == 2 and all_of_them.good_share == 1.0
    assert sum(all_of_them.per_mode) == pytest.approx(1.0)
    one_class = lab.coverage(points[labels == 0], mix)
    assert one_class.covered == 1 and one_class.per_mode[1] == 0.0
    far = lab.coverage(torch.full((50, 2), 10.0), mix)
    assert far.covered == 0 and far.good_share == 0.0
    assert 0 < mix.tolerance < 1.0  # three typical gaps between the 120 points, far less than the 4-wide square


def test_a_gan_on_an_upload_samples_only_its_points_and_shows_each_once():
    mix = lab.uploaded_points(moons())
    t = lab.GANTrainer(mix, train=SHORT)
    batch = mix.sample(500, torch.Generator().manual_seed(1))
    assert (batch[:, None, :] == mix.points[None]).all(dim=2).any(dim=1).all()  # each drawn is one of the file's
    assert len(t.real_shown) == 120 and len(torch.unique(t.real_shown, dim=0)) == 120
    t.run()
    assert t.status == "finished" and len(t.records[-1].per_mode) == 2


# --- Shared by a classroom (ui.results): snapshots, frozen runs, copies that train on ---------------
def test_a_copy_of_a_snapshot_trains_on_to_exactly_the_uninterrupted_run():
    whole = lab.GANTrainer(train=SHORT).run()
    leader = lab.GANTrainer(train=SHORT)
    leader.advance(13)
    snap = leader.snapshot()
    leader.advance(3)  # the leader trains on: the snapshot does not move
    assert snap.step == 13 and len(snap.g_losses) == 13
    assert all(not p.requires_grad for net in (snap.G, snap.D) for p in net.parameters())
    own = snap.trainable_copy().run()
    assert all(p.requires_grad for net in (own.G, own.D) for p in net.parameters())
    assert repr(own.rows()) == repr(whole.rows()) and own.series()["modes_covered"].tolist() == \
        whole.series()["modes_covered"].tolist()
    assert snap.z_eval is leader.z_eval and snap.records[0] is leader.records[0]  # shared, not copied


@pytest.mark.parametrize("loss", lab.LOSSES)
def test_looking_at_a_frozen_gan_never_switches_its_networks_nor_draws_from_its_generator(loss):
    """A finished run is shared by every session (ui.results): what the page draws — GAN Lab's view,
    the series, the non-saturating trick's numbers — may only read it. Switching or moving G or D is
    a write; so is drawing from the run's own generator (thirty sessions would each advance it)."""
    t = lab.GANTrainer(train=replace(SHORT, loss=loss)).run()
    t.freeze()

    def refuse(*_args, **_kwargs):
        raise AssertionError("a shared network was moved or switched")

    for net in (t.G, t.D):
        net._apply, net.train = refuse, refuse
    state = t.generator.get_state()
    weights = [p.clone() for net in (t.G, t.D) for p in net.parameters()]
    rows = repr(t.rows())
    for _ in range(2):  # the same numbers each time: nothing they read moved
        v = t.view()
        norms = t.generator_gradient_norms()
        assert v.arrows.shape == (150, 2) and np.isfinite(v.arrows).all()
        assert set(norms) == {"minimax", "non_saturating"} and all(n > 0 for n in norms.values())
        t.mean_d_fake(), t.series(), t.generate()
    assert np.array_equal(t.view().arrows, v.arrows) and t.generator_gradient_norms() == norms
    assert torch.equal(t.generator.get_state(), state) and repr(t.rows()) == rows
    assert all(torch.equal(a, b) for a, b in zip((p for net in (t.G, t.D) for p in net.parameters()), weights))
    assert all(not p.requires_grad for net in (t.G, t.D) for p in net.parameters())
