"""Unit tests of dlcore.labs.practical_tips: each bug switches on exactly one thing, the checks
return what they say, and bad settings are sentences."""

import math

import numpy as np
import pytest
import torch

from dlcore.labs import practical_tips as pt


def trainer(bug=None, steps=3, **kw):
    return pt.DebugTrainer(pt.DebugConfig(bug=bug, steps=steps, **kw), device="cpu")


def test_digits_scaled_and_unscaled_share_the_split():
    scaled, raw = pt.digits(0), pt.digits(0, scaled=False)
    assert scaled.x_train.shape == raw.x_train.shape == (600, 64) and scaled.x_val.shape == (200, 64)
    assert torch.equal(scaled.y_train, raw.y_train)
    assert abs(scaled.x_train.mean(0)).max() < 1e-5  # centred on the training set
    assert raw.x_train.min() == 0 and raw.x_train.max() == 255
    torch.testing.assert_close(raw.x_train / 255 - (raw.x_train / 255).mean(0), scaled.x_train)


@pytest.mark.parametrize(("bug", "lr"), [("lr_high", pt.LR_HIGH), ("lr_low", pt.LR_LOW), ("naive_log", pt.NAN_LR),
                                         (None, 0.05), ("softmax_twice", 0.05)])
def test_each_bug_gets_its_learning_rate(bug, lr):
    assert trainer(bug).optimizer.param_groups[0]["lr"] == lr


def test_without_zero_grad_the_gradient_is_the_sum_of_the_batches():
    t = trainer("no_zero_grad", lr=1e-9)  # steps too small to change the weights
    g = []
    for _ in range(2):
        t.advance(1)
        g.append(t.model.head.weight.grad.clone())
    ref = trainer(None, lr=1e-9)
    ref.advance(1)
    first = ref.model.head.weight.grad.clone()
    ref.advance(1)
    second = ref.model.head.weight.grad.clone()
    torch.testing.assert_close(g[0], first)
    torch.testing.assert_close(g[1], first + second, rtol=1e-4, atol=1e-6)


def test_softmax_twice_trains_on_probabilities_but_records_the_real_loss():
    t = trainer("softmax_twice", steps=1)
    x, y = t.dataset.x_train[:8], t.dataset.y_train[:8]
    out = t.model(x)
    expected = torch.nn.functional.cross_entropy(torch.softmax(out, 1), y)
    torch.testing.assert_close(t._batch_loss(out, y), expected)
    assert t.recorder.records[0].train_loss == pytest.approx(math.log(10), abs=0.15)


def test_naive_cross_entropy_matches_the_stable_one_on_small_logits_and_breaks_on_large():
    z, y = torch.randn(6, 10), torch.randint(0, 10, (6,))
    torch.testing.assert_close(pt.naive_cross_entropy(z, y), torch.nn.functional.cross_entropy(z, y))
    z = torch.zeros(1, 10)
    z[0, 0] = 200.0
    assert math.isinf(pt.naive_cross_entropy(z, torch.tensor([1])).item())
    assert torch.nn.functional.cross_entropy(z, torch.tensor([1])).item() == pytest.approx(200.0)


def test_no_eval_measures_in_train_mode_and_leaves_training_untouched():
    broken, fixed = pt.pair("no_eval", steps=12, device="cpu").values()
    assert broken.train_cfg == fixed.train_cfg
    broken.run(), fixed.run()
    assert broken.losses == fixed.losses
    assert broken.recorder.series("val_acc").tolist() != fixed.recorder.series("val_acc").tolist()


def test_pair_labels_and_the_same_initial_weights():
    runs = pt.pair("lr_low", steps=5, device="cpu")
    assert list(runs) == ["broken: learning rate too low", "fixed"]
    a, b = runs.values()
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))


def test_same_seed_same_run():
    a, b = trainer("softmax_twice", steps=20).run(), trainer("softmax_twice", steps=20).run()
    assert a.losses == b.losses


@pytest.mark.parametrize(("kw", "words"), [
    (dict(bug="typo"), "bug must be one of"),
    (dict(lr=0.0), "learning rate must be > 0"),
    (dict(steps=0), "steps must be ≥ 1"),
    (dict(dropout=1.0), "dropout must be ≥ 0 and < 1"),
])
def test_bad_settings_are_sentences(kw, words):
    with pytest.raises(ValueError, match=words):
        pt.DebugConfig(**kw)


def test_range_test_shapes_and_errors():
    rt = pt.lr_range_test(steps=30)
    assert len(rt.lrs) == len(rt.losses) == len(rt.smoothed) <= 30
    assert rt.lrs[0] == pytest.approx(1e-4) and np.all(np.diff(rt.lrs) > 0)
    with pytest.raises(ValueError, match="lr_min < lr_max"):
        pt.lr_range_test(lr_min=1.0, lr_max=0.1)
    with pytest.raises(ValueError, match="range-test steps"):
        pt.lr_range_test(steps=2)


def test_numerical_gradient_of_a_quadratic():
    x = torch.tensor([1.0, -2.0, 3.0])
    g = pt.numerical_gradient(lambda v: (v ** 2).sum(), x)
    torch.testing.assert_close(g, 2 * x.double(), atol=1e-6, rtol=0)
    assert pt.relative_error(g, 2 * x.double()) < 1e-8


def test_nan_detective_rejects_an_unknown_loss():
    with pytest.raises(ValueError, match="loss must be one of naive_log, cross_entropy"):
        pt.nan_detective(loss="mse")


def test_a_huge_learning_rate_on_the_fixed_run_diverges_with_a_message():
    t = trainer(None, steps=50, lr=10.0).run()
    assert t.diverged and t.message.startswith("diverged at step")


def test_default_experiment_returns_every_check():
    out = pt.default_experiment("cpu")
    assert set(out) == {"runs", "range test", "one batch", "nan", "nan, stable loss", "gradient check"}
    assert all(t.done for t in out["runs"].values())


# --- A run shared by a class (ui.results) ---------------------------------------------------------
@pytest.mark.parametrize("bug", pt.BUGS)
def test_a_trainable_copy_of_a_snapshot_trains_on_to_exactly_the_uninterrupted_numbers(bug):
    """Pausing while following keeps a copy of the leader's snapshot; it must continue as the leader
    would have. Without zero_grad that includes the gradients piled up so far."""
    whole = pt.pair(bug, steps=24, seed=5, device="cpu")
    halfway = pt.pair(bug, steps=24, seed=5, device="cpu")
    for name, t in whole.items():
        t.run()
        halfway[name].advance(12)
        own = halfway[name].snapshot().trainable_copy().run()
        assert repr(own.rows()) == repr(t.rows()), name  # repr: NaN equals NaN
        assert own.losses == t.losses or repr(own.losses) == repr(t.losses), name


def test_measuring_eval_against_train_mode_never_switches_or_draws_from_the_shared_network(monkeypatch):
    """The page measures the finished no_eval run, which every session on its link shares: the
    measurement works on a copy, so the shared network never changes mode (not even for a moment,
    under another session's thread) and its dropout generators draw nothing."""
    broken = next(iter(pt.pair("no_eval", steps=10, device="cpu").values())).run()
    broken.freeze()
    shared = set(map(id, broken.model.modules()))
    dropouts = [m for m in broken.model.modules() if isinstance(m, pt.InvertedDropout)]
    states = [(d.generator.get_state(), d.last_mask) for d in dropouts]
    weights = [p.clone() for p in broken.model.parameters()]
    train, apply = torch.nn.Module.train, torch.nn.Module._apply

    def guarded(original):
        def method(self, *args, **kwargs):
            assert id(self) not in shared, "a shared network was switched or moved"
            return original(self, *args, **kwargs)
        return method

    monkeypatch.setattr(torch.nn.Module, "train", guarded(train))
    monkeypatch.setattr(torch.nn.Module, "_apply", guarded(apply))
    measured = pt.eval_vs_train_mode(broken, repeats=4)
    assert len(set(measured["eval mode"])) == 1 and len(set(measured["train mode (forgot eval())"])) > 1
    assert pt.eval_vs_train_mode(broken, repeats=4) == measured  # the same run measures the same numbers
    assert dropouts and all(torch.equal(d.generator.get_state(), g) and d.last_mask is m
                            for d, (g, m) in zip(dropouts, states))
    assert not any(m.training for m in broken.model.modules())
    assert all(torch.equal(p, w) for p, w in zip(broken.model.parameters(), weights))
