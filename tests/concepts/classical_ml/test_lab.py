"""Unit tests of dlcore.labs.classical_ml: features, configs, the run's jobs, determinism."""

from dataclasses import replace

import numpy as np
import pytest

from dlcore.labs import classical_ml as cl

TINY = cl.ClassicalConfig(methods=("logistic regression", "decision tree", "MLP"), sizes=(30, 60), mlp_steps=20)


def test_split_is_the_apps_digits_split():
    xtr, ytr, xv, yv = cl.split(0)
    assert xtr.shape == (1258, 8, 8) and xv.shape == (539, 8, 8)
    assert 0 <= xtr.min() and xtr.max() <= 1
    from dlcore import data as data_mod
    from dlcore.config import DataConfig
    ds = data_mod.load(DataConfig(name="digits", n_samples=1797, seed=0))
    np.testing.assert_array_equal(ds.y_val.numpy(), yv)  # the same images as every other page's validation set


def test_hand_made_features_by_hand_on_one_image():
    img = np.zeros((1, 8, 8), dtype=np.float32)
    img[0, 2, :] = 1.0  # a horizontal bar on row 2: only vertical gradients (90°)
    f = cl.hand_made_features(img)
    assert f.shape == (1, 32) and len(cl.feature_names("hand-made")) == 32
    assert f[0, 2] == 8 and f[0, :8].sum() == 8 and np.all(f[0, 8:16] == 1)  # rows, then columns
    hog = f[0, 16:].reshape(4, 4)  # quarter × orientation (0°, 45°, 90°, 135°)
    assert hog[:, 2].sum() > 0 and hog[:, [0, 1, 3]].sum() == 0
    assert hog[2:].sum() == 0  # the bottom quarters have no edges


@pytest.mark.parametrize("field, value, words", [
    ("methods", (), "at least one method"), ("methods", ("svm",), "methods must be among"),
    ("feature_sets", (), "at least one kind of features"), ("sizes", (5,), "training sizes must be"),
    ("mlp_lr", 0.0, "MLP learning rate must be"), ("k", 0, "k must be"),
])
def test_bad_settings_raise_a_readable_value_error(field, value, words):
    with pytest.raises(ValueError, match=words):
        replace(cl.ClassicalConfig(), **{field: value})


def test_one_job_per_step_smallest_first_and_curves_grow():
    run = cl.ClassicalRun(TINY)
    assert run.jobs == [("pixels", 30), ("hand-made", 30), ("pixels", 60), ("hand-made", 60)]
    assert run.train_cfg.steps == 4 and run.largest("pixels") == {}
    run.advance(1)
    assert run.step == 1 and not run.done and set(run.results[("pixels", 30)]) == set(TINY.methods)
    assert run.curve("pixels", "MLP")[0].tolist() == [30]
    run.run()
    assert run.done and run.curve("hand-made", "decision tree")[0].tolist() == [30, 60]
    fit = run.largest("pixels")["logistic regression"]
    assert 0 <= fit.accuracy <= 1 and fit.fit_seconds >= 0 and fit.size == 650


def test_same_seed_same_accuracies():
    a, b = cl.ClassicalRun(TINY).run(), cl.ClassicalRun(TINY).run()
    for key in a.results:
        assert {m: f.accuracy for m, f in a.results[key].items()} == {m: f.accuracy for m, f in b.results[key].items()}


def test_a_diverging_mlp_is_reported_not_raised():
    run = cl.ClassicalRun(replace(TINY, mlp_lr=10.0, mlp_steps=200, sizes=(200,), feature_sets=("pixels",))).run()
    fit = run.results[("pixels", 200)]["MLP"]
    assert np.isnan(fit.accuracy) and "diverged at step" in fit.message
    assert run.diverged_messages() and run.results[("pixels", 200)]["decision tree"].accuracy > 0.3


def test_trees_see_unscaled_features_so_their_rules_read_in_ink():
    run = cl.ClassicalRun(replace(TINY, sizes=(200,), feature_sets=("pixels",))).run()
    rules = cl.tree_rules(run.largest("pixels")["decision tree"], "pixels")
    thresholds = [float(line.split()[-1]) for line in rules.splitlines() if "<=" in line]
    assert rules.startswith("|--- pixel (row") and all(0 <= t <= 1 for t in thresholds)
    with pytest.raises(ValueError, match="fitted on pixels"):
        run2 = cl.ClassicalRun(replace(TINY, sizes=(30,), feature_sets=("hand-made",))).run()
        cl.logistic_weights(run2.largest("hand-made")["logistic regression"])


# --- Shared by a classroom (ui.results): snapshots, frozen runs, copies that fit on -----------------
def accuracies(run: cl.ClassicalRun) -> list:
    """Every (features, size, method, accuracy, size of the model): the run's numbers, without the
    timings (CPU time is measured, not computed)."""
    return [(r["features"], r["train_size"], r["method"], r["val_acc"], r["size"]) for r in run.rows()]


def test_a_copy_of_a_snapshot_fits_on_to_exactly_the_uninterrupted_run():
    whole = cl.ClassicalRun(TINY).run()
    leader = cl.ClassicalRun(TINY)
    leader.advance(2)
    snap = leader.snapshot()
    leader.advance(1)  # the leader goes on: the snapshot does not move
    assert snap.step == 2 and len(snap.results) == 2
    assert snap.raw is leader.raw and snap.results[("pixels", 30)] is not leader.results[("pixels", 30)]
    assert snap.results[("pixels", 30)]["MLP"] is leader.results[("pixels", 30)]["MLP"]  # a fit is shared
    own = snap.trainable_copy().run()
    assert accuracies(own) == accuracies(whole)


def test_looking_at_a_frozen_run_never_switches_an_mlp_nor_changes_a_fitted_model():
    """A finished run is shared by every session: what the page draws may only read it. Its MLPs are
    frozen (eval mode, no grad) and never moved or switched; the scikit-learn models stay as fitted."""
    import pickle

    import torch

    from ui.charts import classical_ml as cc

    run = cl.ClassicalRun(TINY).run()
    run.freeze()

    def refuse(*_args, **_kwargs):
        raise AssertionError("a shared network was moved or switched")

    mlps = [fit.model for r in run.results.values() for m, fit in r.items() if m == "MLP"]
    assert len(mlps) == 4 and all(not t.model.training for t in mlps)
    assert not any(p.requires_grad for t in mlps for p in t.model.parameters())
    for t in mlps:
        t.model._apply, t.model.train = refuse, refuse
    fitted = {(k, m): pickle.dumps(fit.model) for k, r in run.results.items() for m, fit in r.items() if m != "MLP"}
    weights = [p.clone() for t in mlps for p in t.model.parameters()]
    rows = repr(run.rows())
    for features in TINY.feature_sets:
        full = run.largest(features)
        cc.scaling(run), cc.features(run), cc.fit_times(run, features), run.diverged_messages()
        if features == "pixels":
            cc.logistic_images(cl.logistic_weights(full["logistic regression"]))
        assert cl.tree_rules(full["decision tree"], features)
    assert run.script("frozen") and repr(run.rows()) == rows
    assert all(pickle.dumps(fit.model) == fitted[k, m] for k, r in run.results.items() for m, fit in r.items()
               if m != "MLP")
    assert all(torch.equal(a, b) for a, b in zip((p for t in mlps for p in t.model.parameters()), weights))
