"""Unit tests of dlcore.labs.representation: shapes, readable config errors, determinism, and the
measurements against hand-made cases."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore.labs import representation as rp

TINY = rp.RepresentationConfig(depth=2, width=8, steps=20, snapshot_every=10, probe_labels=30)


@pytest.mark.parametrize("field, value, words", [
    ("depth", 0, "hidden layers must be"), ("width", 1, "width must be"), ("lr", 0.0, "learning rate must be"),
    ("probe_labels", 5, "labels for the probes must be"), ("snapshot_every", 0, "steps between snapshots"),
])
def test_bad_settings_raise_a_readable_value_error(field, value, words):
    with pytest.raises(ValueError, match=words):
        replace(rp.RepresentationConfig(), **{field: value})


def test_bad_transfer_settings_and_sources_raise_value_errors():
    with pytest.raises(ValueError, match="labels per class must be"):
        rp.TransferConfig(labels_per_class=0)
    with pytest.raises(ValueError, match="source task must be one of"):
        rp.source_network("letters", rp.TransferConfig())


def test_snapshots_shapes_and_steps():
    run = rp.RepresentationRun(TINY).run()
    assert [s.step for s in run.snapshots] == [0, 10, 20]
    n_val = len(run.trainer.dataset.y_val)
    for snap in run.snapshots:
        assert len(snap.coords) == len(snap.knn) == len(snap.fisher) == 3  # pixels + 2 layers
        assert all(c.shape == (n_val, 2) and c.dtype == np.float32 for c in snap.coords)
    steps, knn = run.separation("knn")
    assert steps.tolist() == [0, 10, 20] and knn.shape == (3, 3)
    assert run.first_layer_weights().shape == (8, 8, 8)


def test_same_seed_same_numbers_and_another_seed_differs():
    a, b = rp.RepresentationRun(TINY).run(), rp.RepresentationRun(TINY).run()
    c = rp.RepresentationRun(replace(TINY, seed=1)).run()
    np.testing.assert_array_equal(a.snapshots[-1].coords[1], b.snapshots[-1].coords[1])
    assert a.trainer.losses == b.trainer.losses != c.trainer.losses
    assert rp.probe_layers(a) == rp.probe_layers(b)


def test_layer_features_match_the_models_forward_and_keep_its_mode():
    run = rp.RepresentationRun(TINY)
    model, x = run.trainer.model, run.trainer.dataset.x_val[:5]
    feats = rp.layer_features(model, x)
    assert [f.shape[1] for f in feats] == [64, 8, 8]
    assert model.training
    with torch.no_grad():
        torch.testing.assert_close(model.head(feats[-1]), model(x))


def test_pca_2d_recovers_the_main_direction_and_follows_the_previous_sign():
    g = torch.Generator().manual_seed(0)
    t = torch.randn(200, generator=g)
    pts = torch.stack([3 * t, 0.1 * torch.randn(200, generator=g), torch.zeros(200)], dim=1)  # (200, 3)
    coords = rp.pca_2d(pts)
    assert abs(np.corrcoef(coords[:, 0], t.numpy())[0, 1]) > 0.999
    flipped = rp.pca_2d(pts, like=-coords)
    np.testing.assert_allclose(flipped, -coords, atol=1e-5)
    assert rp.pca_2d(torch.randn(10, 1)).shape == (10, 2)  # one feature: the second axis is 0


def test_knn_accuracy_and_fisher_ratio_on_separated_and_mixed_groups():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(100) % 2
    apart = torch.randn(100, 2, generator=g) * 0.1 + labels[:, None] * 5.0
    mixed = torch.randn(100, 2, generator=g)
    assert rp.knn_accuracy(apart, labels) == 1.0
    assert 0.3 < rp.knn_accuracy(mixed, labels) < 0.7
    assert rp.fisher_ratio(apart.numpy(), labels.numpy()) > 100 * rp.fisher_ratio(mixed.numpy(), labels.numpy())
    with pytest.raises(ValueError, match="k-NN needs more than"):
        rp.knn_accuracy(apart[:3], labels[:3])


def test_linear_probe_is_perfect_on_separable_features_and_chance_on_noise():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(300) % 3
    good = torch.randn(300, 4, generator=g) * 0.1 + torch.nn.functional.one_hot(y, 3).float().repeat(1, 2)[:, :4]
    assert rp.linear_probe(good[:150], y[:150], good[150:], y[150:]) == 1.0
    noise = torch.randn(300, 4, generator=g)
    assert rp.linear_probe(noise[:150], y[:150], noise[150:], y[150:]) < 0.5


def test_a_huge_learning_rate_diverges_without_an_exception():
    run = rp.RepresentationRun(replace(TINY, lr=10.0, steps=200)).run()
    assert run.diverged and "diverged at step" in run.message
    assert all(np.isfinite(s.knn).all() for s in run.snapshots)


def test_few_labels_draws_per_class_and_keeps_the_rest():
    y = torch.arange(50) % 5
    lab, rest = rp._few_labels(y, 3, seed=0)
    assert len(lab) == 15 and torch.bincount(y[lab]).tolist() == [3] * 5
    assert len(rest) == 35 and not set(lab.tolist()) & set(rest.tolist())


def test_transfer_split_is_disjoint_and_relabels_5_to_9():
    xs, ys, xt, yt = rp.transfer_split(0)
    assert len(xs) == 898 and int(yt.min()) == 0 and int(yt.max()) == 4
    assert len(xt) < len(xs)
    assert not (xs[:, None, :] == xt[None, :20, :]).all(dim=2).any()


def test_with_new_head_leaves_the_source_untouched():
    net, _ = rp.source_network(rp.SOURCES[0], rp.TransferConfig(source_steps=5))
    copy = rp.with_new_head(net, 5, seed=0)
    assert copy.head.out_features == 5 and net.head.out_features == 5
    assert copy.blocks[0].linear.weight is not net.blocks[0].linear.weight
    torch.testing.assert_close(copy.blocks[0].linear.weight, net.blocks[0].linear.weight)


# --- Shared by a classroom (ui.results): snapshots, frozen runs, copies that train on ---------------
def numbers(run: rp.RepresentationRun) -> str:
    return repr(run.rows()) + repr([(s.step, s.knn, s.fisher) for s in run.snapshots])


def test_a_copy_of_a_snapshot_trains_on_to_exactly_the_uninterrupted_run():
    whole = rp.RepresentationRun(TINY).run()
    leader = rp.RepresentationRun(TINY)
    leader.advance(13)
    snap = leader.snapshot()
    leader.advance(2)  # the leader trains on: the snapshot does not move
    assert snap.step == 13 and len(snap.snapshots) == 2
    assert not snap.trainer.model.training and not any(p.requires_grad for p in snap.trainer.model.parameters())
    assert snap.initial is leader.initial and snap.snapshots[1] is leader.snapshots[1]  # shared, not copied
    own = snap.trainable_copy().run()
    assert own.trainer.model.training and all(p.requires_grad for p in own.trainer.model.parameters())
    assert numbers(own) == numbers(whole)


def test_looking_inside_a_finished_run_never_moves_or_switches_its_networks():
    """A finished run is shared by every session (ui.results): the page's views — the 2-D views, the
    separation curves, the probes, the first layer's weights — may only read it. ``.train()``/``.eval()``
    and ``.to()`` on a shared network are writes."""
    run = rp.RepresentationRun(TINY).run()
    run.freeze()

    def refuse(*_args, **_kwargs):
        raise AssertionError("a shared network was moved or switched")

    nets = (run.trainer.model, run.initial)
    for net in nets:
        net._apply, net.train = refuse, refuse
    weights = [p.clone() for net in nets for p in net.parameters()]
    probes = rp.probe_layers(run)
    assert len(probes.after) == TINY.depth + 1 and probes == rp.probe_layers(run)
    assert len(rp.layer_features(run.trainer.model, run.dataset.x_val)) == TINY.depth + 1
    run.separation("knn"), run.separation("fisher"), run.first_layer_weights()
    assert run.initial.blocks[0].linear.weight.detach().reshape(-1, 8, 8).numpy().shape == (TINY.width, 8, 8)
    assert all(torch.equal(a, b) for a, b in zip((p for net in nets for p in net.parameters()), weights))
    assert not any(net.training or any(p.requires_grad for p in net.parameters()) for net in nets)
