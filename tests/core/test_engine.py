"""dlcore unit tests: configs, data, models, initialization, recorder, trainer."""

import copy
import dataclasses
import math
import subprocess
import sys
import weakref

import numpy as np
import pytest
import torch

from dlcore import DataConfig, MLPTrainer, ModelConfig, TrainConfig, stable_hash
from dlcore import data as data_mod
from dlcore.layers.activations import curve_and_derivative, softmax
from dlcore.layers.initialization import init_linear, target_std
from dlcore.models import MLP, InvertedDropout
from dlcore.recorder import Recorder
from dlcore.trainer import lr_factor

SMALL = dict(data=DataConfig(n_samples=200), train=TrainConfig(steps=40, record_every=10))


def small_trainer(**model) -> MLPTrainer:
    return MLPTrainer(SMALL["data"], ModelConfig(**model), SMALL["train"], device="cpu")


# ----------------------------------------------------------------------------- configs
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: TrainConfig(lr=-1), "learning rate must be > 0 and ≤ 10, got -1"),
        (lambda: TrainConfig(lr=0), "learning rate must be > 0"),
        (lambda: TrainConfig(lr=11), "learning rate must be > 0 and ≤ 10, got 11"),
        (lambda: TrainConfig(optimizer="adamax"), "optimizer must be one of"),
        (lambda: TrainConfig(batch_size=0), "batch size must be ≥ 1"),
        (lambda: TrainConfig(steps=0), "steps must be ≥ 1"),
        (lambda: TrainConfig(momentum=1.5), "momentum must be"),
        (lambda: TrainConfig(weight_decay=-0.1), "weight decay must be"),
        (lambda: TrainConfig(grad_clip=-1), "gradient clipping threshold must be"),
        (lambda: TrainConfig(schedule="linear"), "learning-rate schedule must be one of"),
        (lambda: TrainConfig(record_every=0), "record every must be"),
        (lambda: ModelConfig(depth=0), "depth must be ≥ 1"),
        (lambda: ModelConfig(width=0), "width must be ≥ 1"),
        (lambda: ModelConfig(activation="swish"), "activation must be one of"),
        (lambda: ModelConfig(init="orthogonal"), "initialization must be one of"),
        (lambda: ModelConfig(dropout=1.0), "dropout must be ≥ 0 and < 1, got 1"),
        (lambda: ModelConfig(norm="group"), "normalization must be one of"),
        (lambda: ModelConfig(bias_init=100), "bias init must be"),
        (lambda: DataConfig(name="mnist"), "data set must be one of"),
        (lambda: DataConfig(noise=-1), "noise must be"),
        (lambda: DataConfig(n_samples=5), "number of samples must be ≥ 20"),
        (lambda: DataConfig(val_fraction=0), "validation fraction must be > 0"),
    ],
)
def test_every_config_check_raises_a_clear_value_error(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


def test_configs_are_frozen_and_hash_by_value():
    a, b = TrainConfig(lr=0.1), TrainConfig(lr=0.1)
    assert stable_hash(a) == stable_hash(b)
    assert stable_hash(a) != stable_hash(TrainConfig(lr=0.2))
    assert stable_hash(ModelConfig(), TrainConfig()) != stable_hash(TrainConfig(), ModelConfig())
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.lr = 1.0


def test_stable_hash_is_the_same_in_another_process():
    code = "from dlcore import *; print(stable_hash(DataConfig(), ModelConfig(), TrainConfig()))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == stable_hash(DataConfig(), ModelConfig(), TrainConfig())


def test_importing_dlcore_does_not_import_streamlit():
    code = "import sys, dlcore, dlcore.bench, dlcore.experiments; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -------------------------------------------------------------------------------- data
@pytest.mark.parametrize("name", ["circle", "xor", "gaussians", "spiral", "moons"])
def test_toy_sets_are_seeded_balanced_and_split(name):
    cfg = DataConfig(name=name, n_samples=400, val_fraction=0.25, seed=3)
    a, b = data_mod.load(cfg), data_mod.load(cfg)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_val, b.y_val)
    assert a.x_train.shape == (300, 2) and a.x_val.shape == (100, 2)
    assert a.x_train.dtype == torch.float32 and a.y_train.dtype == torch.int64
    assert 0.3 < a.y_train.float().mean().item() < 0.7
    other = data_mod.load(dataclasses.replace(cfg, seed=4))
    assert not torch.equal(a.x_train, other.x_train)


def test_digits_are_the_1797_images_of_ten_classes():
    ds = data_mod.load(DataConfig(name="digits", n_samples=1797, val_fraction=0.2))
    assert ds.n_features == 64 and ds.n_classes == 10
    assert len(ds.y_train) + len(ds.y_val) == 1797
    assert torch.bincount(torch.cat([ds.y_train, ds.y_val])).min() >= 170
    images, labels = data_mod.digits_images()
    assert images.shape == (1797, 8, 8) and images.min() == 0 and images.max() == 1


# ------------------------------------------------------------------------ activations
@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu"])
def test_activation_derivatives_match_finite_differences(name):
    x = torch.linspace(-4, 4, 97, dtype=torch.float64) + 0.013  # avoid ReLU's kink at 0
    _, dy = curve_and_derivative(name, x)
    h = 1e-6
    fplus, _ = curve_and_derivative(name, x + h)
    fminus, _ = curve_and_derivative(name, x - h)
    assert torch.allclose(dy, (fplus - fminus) / (2 * h), atol=1e-6)


def test_softmax_is_stable_for_huge_logits():
    p = softmax(torch.tensor([1000.0, 999.0, -1000.0]))
    assert torch.isfinite(p).all() and abs(p.sum().item() - 1) < 1e-6
    with pytest.raises(ValueError, match="temperature must be > 0"):
        softmax(torch.zeros(3), 0.0)


# ------------------------------------------------------------------ models & init
def test_mlp_gradients_match_finite_differences():
    torch.manual_seed(0)
    model = MLP(2, 3, ModelConfig(depth=2, width=5, activation="tanh", norm="layer", residual=True), seed=1).double()
    x, y = torch.randn(7, 2, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2, 0])
    loss_fn = lambda: torch.nn.functional.cross_entropy(model(x), y)  # noqa: E731
    loss_fn().backward()
    for param in model.parameters():
        flat, grad = param.data.view(-1), param.grad.view(-1)
        for i in range(0, flat.numel(), max(1, flat.numel() // 4)):
            old = flat[i].item()
            flat[i] = old + 1e-6
            up = loss_fn().item()
            flat[i] = old - 1e-6
            down = loss_fn().item()
            flat[i] = old
            assert math.isclose(grad[i].item(), (up - down) / 2e-6, rel_tol=1e-4, abs_tol=1e-8)


@pytest.mark.parametrize(
    "scheme, fan_in, fan_out, expected_var",
    [
        ("xavier_uniform", 400, 200, 2 / 600),
        ("xavier_normal", 400, 200, 2 / 600),
        ("he_uniform", 400, 200, 2 / 400),
        ("he_normal", 400, 200, 2 / 400),
        ("small_normal", 400, 200, 1e-4),
        ("large_normal", 400, 200, 1.0),
    ],
)
def test_initial_weight_variance_matches_the_formula(scheme, fan_in, fan_out, expected_var):
    layer = torch.nn.Linear(fan_in, fan_out)
    init_linear(layer, scheme, torch.Generator().manual_seed(0), bias=0.0)
    assert layer.weight.var().item() == pytest.approx(expected_var, rel=0.03)
    assert target_std(scheme, fan_in, fan_out) ** 2 == pytest.approx(expected_var)
    assert torch.all(layer.bias == 0)
    if scheme.endswith("uniform"):
        bound = math.sqrt(3 * expected_var)  # √(6/(fan_in+fan_out)) for Xavier, √(6/fan_in) for He
        assert layer.weight.abs().max().item() <= bound


def test_inverted_dropout_keeps_the_expected_value_and_is_seeded():
    x = torch.ones(2000, 50)
    drop = InvertedDropout(0.3, seed=5)
    y = drop(x)
    kept = y[y != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / 0.7))
    assert y.mean().item() == pytest.approx(1.0, abs=0.01)
    assert torch.equal(InvertedDropout(0.3, seed=5)(x), y)
    drop.eval()
    assert torch.equal(drop(x), x)


# --------------------------------------------------------------------------- recorder
def test_recorder_hooks_are_removed_even_after_an_error():
    model = MLP(2, 2, ModelConfig(depth=3), seed=0)
    rec = Recorder()
    with pytest.raises(RuntimeError):
        with rec.capture(model.layers()):
            model(torch.randn(4, 2))
            raise RuntimeError("boom")
    assert all(not m._forward_hooks for m in model.modules())
    assert len(rec.take_activations()) == 3


def test_recorder_measures_what_it_claims():
    model = MLP(2, 2, ModelConfig(depth=1, width=4, activation="relu", bias_init=-20.0), seed=0)
    rec = Recorder()
    with rec.capture(model.layers()):
        model(torch.rand(64, 2))  # inputs in [0, 1): every pre-activation ≈ -20
    (stats,) = rec.take_activations()
    assert stats.dead_frac == 1.0 and stats.inactive_frac == 1.0
    assert stats.mean == 0.0 and stats.hist.sum() == pytest.approx(1.0)
    model = MLP(2, 2, ModelConfig(depth=1, width=4, activation="tanh", bias_init=20.0), seed=0)
    with rec.capture(model.layers()):
        model(torch.rand(64, 2))
    (stats,) = rec.take_activations()
    assert stats.saturated_frac == 1.0 and stats.dead_frac == 0.0


def test_trainer_records_every_n_steps_with_true_gradient_norms():
    t = small_trainer(depth=2, width=8)
    t.advance(10)
    assert [r.step for r in t.recorder.records] == [0, 10]
    # The recorded norm is ‖∂L/∂W‖ on exactly the mini-batch of the recorded step.
    t.recorder.every = 1
    idx = t.batches.peek().clone()
    twin = copy.deepcopy(t.model)
    ds = t.dataset
    torch.nn.functional.cross_entropy(twin(ds.x_train[idx]), ds.y_train[idx]).backward()
    expected = [lin.weight.grad.norm().item() for lin in twin.linears()]
    t.advance(1)
    rec = t.recorder.records[-1]
    assert rec.step == 11 and len(rec.layers) == 3 and rec.layers[-1].act is None
    assert [layer.grad_norm for layer in rec.layers] == pytest.approx(expected, rel=1e-5)


def test_update_ratio_is_norm_of_change_over_norm_of_weight():
    t = small_trainer(depth=1, width=8)
    t.recorder.every = 1
    before = t.model.blocks[0].linear.weight.detach().clone()
    t.advance(1)
    after = t.model.blocks[0].linear.weight.detach()
    expected = ((after - before).norm() / before.norm()).item()
    assert t.recorder.records[-1].layers[0].update_ratio == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------------------- trainer
def test_same_config_and_seed_give_identical_curves():
    a, b = small_trainer(dropout=0.3).run(), small_trainer(dropout=0.3).run()
    assert a.losses == b.losses
    assert np.array_equal(a.recorder.series("val_loss"), b.recorder.series("val_loss"))
    c = MLPTrainer(SMALL["data"], ModelConfig(dropout=0.3), dataclasses.replace(SMALL["train"], seed=1)).run()
    assert a.losses != c.losses


def test_trainer_is_resumable_step_by_step():
    whole = small_trainer().run()
    stepped = small_trainer()
    while not stepped.done:
        stepped.advance(7)
    assert stepped.losses == whole.losses and stepped.step == 40 and stepped.status == "finished"
    assert stepped.recorder.steps().tolist() == [0, 10, 20, 30, 40]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_divergence_is_reported_not_raised(optimizer):
    t = MLPTrainer(SMALL["data"], ModelConfig(depth=3, width=32, init="large_normal"),
                TrainConfig(optimizer=optimizer, lr=10.0, steps=200), device="cpu")
    t.run()
    assert t.diverged and t.status == "diverged"
    assert t.message.startswith(f"diverged at step {t.step}")
    assert t.step < 200
    assert t.advance(5) == 0  # a diverged run takes no more steps


def test_training_learns_the_circle():
    t = MLPTrainer(DataConfig(n_samples=400), ModelConfig(), TrainConfig(steps=200), device="cpu").run()
    assert t.status == "finished"
    assert t.recorder.records[-1].val_acc > 0.95
    assert t.recorder.records[-1].val_loss < t.recorder.records[0].val_loss / 5


def test_gradient_clipping_bounds_the_update():
    t = MLPTrainer(SMALL["data"], ModelConfig(init="large_normal"),
                TrainConfig(optimizer="sgd", lr=1.0, grad_clip=0.01, steps=5), device="cpu")
    before = [p.detach().clone() for p in t.model.parameters()]
    t.advance(1)
    change = torch.cat([(p.detach() - b).flatten() for p, b in zip(t.model.parameters(), before)])
    assert change.norm().item() == pytest.approx(0.01, rel=1e-3)  # lr × clipped norm


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine", "warmup_cosine"])
def test_schedules_start_and_end_where_documented(schedule):
    factors = [lr_factor(schedule, s, 100) for s in range(100)]
    assert max(factors) == pytest.approx(1.0, abs=0.02)
    if schedule == "constant":
        assert set(factors) == {1.0}
    elif schedule == "step":
        assert factors[49] == 1.0 and factors[50] == 0.1 and factors[99] == pytest.approx(0.01)
    else:
        assert factors[-1] < 0.01
    if schedule == "warmup_cosine":
        assert factors[0] < 0.15 and factors[9] == pytest.approx(1.0)


def test_schedule_is_applied_to_the_optimizer():
    t = MLPTrainer(SMALL["data"], ModelConfig(), TrainConfig(lr=0.1, schedule="step", steps=10), device="cpu")
    t.advance(5)
    assert t.optimizer.param_groups[0]["lr"] == pytest.approx(0.01)


def test_sessions_are_independent_interleaved_runs_match_solo_runs():
    """Two runs advanced in turns (as two users' sessions are) give exactly the curves each
    gives alone, even with dropout masks and someone else touching torch's global RNG."""
    solo_a = small_trainer(dropout=0.5).run()
    solo_b = MLPTrainer(SMALL["data"], ModelConfig(dropout=0.2), dataclasses.replace(SMALL["train"], seed=7)).run()
    a = small_trainer(dropout=0.5)
    b = MLPTrainer(SMALL["data"], ModelConfig(dropout=0.2), dataclasses.replace(SMALL["train"], seed=7))
    while not (a.done and b.done):
        a.advance(3)
        torch.manual_seed(123)
        torch.rand(100)  # another session using the global generator
        b.advance(5)
    assert a.losses == solo_a.losses and b.losses == solo_b.losses


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_recording_does_not_change_training(norm):
    """Measuring every step or almost never gives the same run: the recorder has no side
    effects (BatchNorm's running averages and dropout masks included)."""
    cfg = ModelConfig(depth=3, width=8, norm=norm, dropout=0.2)
    often = MLPTrainer(SMALL["data"], cfg, dataclasses.replace(SMALL["train"], record_every=1)).run()
    rarely = MLPTrainer(SMALL["data"], cfg, dataclasses.replace(SMALL["train"], record_every=1000)).run()
    assert often.losses == rarely.losses
    assert len(often.recorder.records) == 41 and len(rarely.recorder.records) == 2


def test_batchnorm_activations_are_measured_with_batch_statistics():
    """At step 0 BatchNorm's running averages are still (0, 1): measured in eval mode a badly
    initialised net would look dead. The recorder sees what training computes instead."""
    t = MLPTrainer(SMALL["data"], ModelConfig(depth=4, width=16, activation="tanh", init="small_normal", norm="batch"),
                SMALL["train"])
    stds = [layer.act.std for layer in t.recorder.records[0].layers if layer.act]
    assert min(stds) > 0.3


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "identity"])
def test_inactive_units_read_from_outputs_match_the_pre_activations(name):
    """The recorder sees only outputs: f(z) ≤ f(0) must mean exactly z ≤ 0."""
    from dlcore.layers.activations import module
    from dlcore.recorder import activation_stats

    g = torch.Generator().manual_seed(0)
    pre = torch.randn(1, 64, 40, generator=g) + torch.linspace(-6, 3, 40)  # some units always off
    pre[0, :, 0] = 0.0  # a unit sitting exactly at 0 counts as off
    (stats,) = activation_stats(name, module(name)(pre))
    expected = (pre[0] <= 0).all(dim=0).float().mean().item()
    assert 0 < expected < 1
    assert stats.inactive_frac == pytest.approx(expected)


def test_a_decision_boundary_is_computed_once_per_step_and_anew_after_a_step():
    """Thirty sessions drawing one shared finished run get the same arrays; a step later the picture
    is the new network's, not the cached one."""
    from dlcore import boundary

    t = small_trainer()
    t.advance(5)
    axis, first = boundary.probability_grid(t, n=20)
    assert boundary.probability_grid(t, n=20)[1] is first  # the same step: computed once
    assert not first.flags.writeable  # shared between sessions, so nobody may change it in place
    t.advance(5)
    _, later = boundary.probability_grid(t, n=20)
    fresh = t.predict_proba(boundary.grid(20)[1])[:, 1].numpy().reshape(20, 20)
    np.testing.assert_array_equal(later, fresh)  # the network after the new steps
    assert not np.array_equal(later, first)


def test_a_measurement_many_sessions_ask_for_at_once_is_computed_once():
    """Thirty followers drawing one snapshot at the same moment: the first computes, the others
    wait for its value instead of computing it again; a computation that fails leaves no trace."""
    import threading
    import time

    snap = small_trainer().snapshot()
    calls, start = [], threading.Barrier(8)

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return object()

    got = []
    threads = [threading.Thread(target=lambda: (start.wait(), got.append(snap.memo(("m",), slow))))
               for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1 and len(got) == 8 and all(g is got[0] for g in got)

    def broken():
        raise RuntimeError("a bug in a measurement")

    with pytest.raises(RuntimeError):
        snap.memo(("b",), broken)
    assert snap.memo(("b",), lambda: 7) == 7  # computed again, not stuck waiting


def test_a_run_keeps_at_most_memo_size_measurements():
    from dlcore.trainer import MEMO_SIZE

    t = small_trainer()
    for i in range(MEMO_SIZE + 3):
        t.memo((i,), lambda i=i: i)
    assert len(t._memo) == MEMO_SIZE and (MEMO_SIZE + 2, 0) in t._memo and (0, 0) not in t._memo


def test_a_derived_test_set_is_built_once_per_tensor_and_never_for_another():
    import gc

    from dlcore.derived import _CACHE, derived

    builds = []

    def double(x):
        builds.append(1)
        return x * 2

    a, b = torch.ones(3), torch.zeros(3)
    assert derived(a, "double", double) is derived(a, "double", double) and len(builds) == 1
    assert torch.equal(derived(b, "double", double), b) and len(builds) == 2  # another tensor: its own
    derived(a, "other", double)
    assert len(builds) == 3  # another name: its own
    key = (id(a), "double")
    del a
    gc.collect()
    assert _CACHE[key][0]() is None  # the cache does not keep a validation set alive
    c = torch.full((3,), 5.0)
    _CACHE[id(c), "double"] = (weakref.ref(torch.ones(1)), "the set of a tensor that is gone")  # c reuses its id
    assert torch.equal(derived(c, "double", double), c * 2)


FAULTS = """
import resource, sys, threading, torch
from dlcore.device import keep_freed_memory
from dlcore.models.cnn import CNNConfig, build_cnn
keep_freed_memory(int(sys.argv[1]))
out = []
def work():  # a script thread measures the CNN page's network on 9 × 539 digits (feature maps: 7 MB)
    model, x = build_cnn(CNNConfig(image=14)).eval(), torch.rand(539, 1, 14, 14)
    with torch.no_grad():
        model(x)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(9):
            model(x)
    out.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
t = threading.Thread(target=work); t.start(); t.join()
print(out[0])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_kept_freed_memory_spares_a_page_fault_per_page_of_every_new_tensor():
    def faults(mib: int) -> int:
        done = subprocess.run([sys.executable, "-c", FAULTS, str(mib)], capture_output=True, text=True, check=True)
        return int(done.stdout)

    pages = 9 * 539 * 16 * 14 * 14 * 4 // 4096  # the last layer's feature maps alone: 14,800 pages
    assert faults(0) > pages  # glibc's default: fresh pages for every pass (41,809 here)
    assert faults(32) < pages // 100  # kept: the same memory, reused (0 here)


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_a_snapshot_is_read_only_and_stays_as_it_was_while_the_run_trains_on(dropout):
    """What followers draw (``ui.results``): the network in eval mode without gradients, the records
    so far, untouched by the run's next steps; its data shared, not copied."""
    t = MLPTrainer(DataConfig(n_samples=200), ModelConfig(dropout=dropout), TrainConfig(steps=40, record_every=10))
    t.advance(20)
    snap = t.snapshot()
    weights = [p.clone() for p in snap.model.parameters()]
    t.advance(10)
    assert snap.step == 20 and [r.step for r in snap.recorder.records] == [0, 10, 20]
    assert all(torch.equal(a, b) for a, b in zip(snap.model.parameters(), weights))
    assert not snap.model.training and not any(p.requires_grad for p in snap.model.parameters())
    assert snap.dataset is t.dataset and t.model.training  # the run itself is still training
    before = snap.predict(t.dataset.x_val)
    assert torch.equal(snap.predict(t.dataset.x_val), before)  # eval mode: no dropout masks drawn


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_a_trainable_copy_of_a_snapshot_ends_with_the_numbers_of_the_uninterrupted_run(dropout):
    """A follower who takes the lead (or pauses and plays on alone) continues from the snapshot: the
    same batches and dropout masks, so the same numbers as the run it copied."""
    cfg = (DataConfig(n_samples=200), ModelConfig(dropout=dropout), TrainConfig(steps=40, record_every=10))
    whole = MLPTrainer(*cfg).run()
    t = MLPTrainer(*cfg)
    t.advance(17)
    own = t.snapshot().trainable_copy()
    own.run()
    assert own.losses == whole.losses
    assert [r.val_loss for r in own.recorder.records] == [r.val_loss for r in whole.recorder.records]
