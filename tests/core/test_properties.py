"""Property tests of the engine (hypothesis): configs drawn across and beyond every field's range.

Each draw either raises a ``ValueError`` whose message is a sentence naming the field ("learning
rate must be > 0 and ≤ 10, got -1"), or trains a few steps and ends ``finished`` or ``diverged``
— never another exception — with finite recorded numbers while it ran, and the same numbers
again for the same config. The default suite draws a few dozen cases;
``python -m pytest -m fuzz tests/core/test_properties.py`` draws 1,000.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcore import DataConfig, MLPTrainer, ModelConfig, TrainConfig
from dlcore.config import ACTIVATION_NAMES, DATASETS, INIT_NAMES, NORM_NAMES, OPTIMIZER_NAMES, SCHEDULE_NAMES

junk = st.one_of(st.none(), st.text(max_size=5), st.just(float("nan")), st.just(float("inf")),
                 st.just(-1e12), st.just([1, 2]), st.booleans())


def floats(low, high):
    return st.floats(low, high, allow_nan=False)


# Per config, per field: (its name in messages, values inside the range — small, so cases train
# quickly —, values that may be outside it or of the wrong type).
FIELDS = {
    DataConfig: {
        "name": ("data set", st.sampled_from([d for d in DATASETS if d != "digits"]), junk),
        "n_samples": ("number of samples", st.integers(20, 120), st.one_of(st.integers(-5, 19), junk)),
        "noise": ("noise", floats(0, 2), st.one_of(floats(2.01, 1e6), floats(-1e6, -0.01), junk)),
        "val_fraction": ("validation fraction", floats(0.05, 0.9), st.one_of(floats(-1, 0), floats(0.91, 2), junk)),
        "seed": ("seed", st.integers(0, 2**31 - 1), st.one_of(st.integers(-10**6, -1), st.integers(2**31, 2**40),
                                                              st.floats(0.5, 0.6), junk)),
    },
    ModelConfig: {
        "depth": ("depth", st.integers(1, 4), st.one_of(st.integers(-3, 0), st.integers(51, 10**6), junk)),
        "width": ("width", st.integers(1, 24), st.one_of(st.integers(-3, 0), st.floats(1.5, 2.5), junk)),
        "activation": ("activation", st.sampled_from(ACTIVATION_NAMES), junk),
        "init": ("initialization", st.sampled_from(INIT_NAMES), junk),
        "dropout": ("dropout", floats(0, 0.95), st.one_of(floats(1, 2), floats(-1, -0.01), junk)),
        "norm": ("normalization", st.sampled_from(NORM_NAMES), junk),
        "bias_init": ("bias init", floats(-20, 20), st.one_of(floats(20.01, 1e9), junk)),
    },
    TrainConfig: {
        "optimizer": ("optimizer", st.sampled_from(OPTIMIZER_NAMES), junk),
        "lr": ("learning rate", st.floats(1e-4, 10, allow_nan=False), st.one_of(floats(-1, 0), floats(10.01, 1e9),
                                                                                junk)),
        "momentum": ("momentum", floats(0, 0.999), st.one_of(floats(1, 5), junk)),
        "weight_decay": ("weight decay", floats(0, 1), st.one_of(floats(1.01, 10), junk)),
        "batch_size": ("batch size", st.integers(1, 64), st.one_of(st.integers(-2, 0), junk)),
        "steps": ("steps", st.integers(1, 6), st.one_of(st.integers(-2, 0), st.floats(1.5, 2.5), junk)),
        "grad_clip": ("gradient clipping threshold", floats(0, 10), st.one_of(floats(-5, -0.01), junk)),
        "schedule": ("learning-rate schedule", st.sampled_from(SCHEDULE_NAMES), junk),
        "record_every": ("record every", st.integers(1, 3), st.one_of(st.integers(-2, 0), junk)),
        "seed": ("seed", st.integers(0, 1000), st.integers(-10, -1)),
    },
}


# Values fine one by one that cannot go together: refused with a sentence naming the setting.
COMBINATIONS = ("momentum must be above 0 for Nesterov", "batch size must be at least 2 with BatchNorm")


@st.composite
def experiments(draw):
    """Valid configs, and half the time one field (named in the result) set to a bad value."""
    values = {cls: {f: draw(good) for f, (_, good, _) in fields.items()} for cls, fields in FIELDS.items()}
    spoiled = None
    if draw(st.booleans()):
        cls = draw(st.sampled_from(list(FIELDS)))
        name = draw(st.sampled_from(list(FIELDS[cls])))
        spoiled = FIELDS[cls][name][0]
        values[cls][name] = draw(FIELDS[cls][name][2])
    return values, spoiled


def check_run(trainer: MLPTrainer, data: DataConfig, model: ModelConfig, train: TrainConfig) -> None:
    trainer.run()
    assert trainer.status in ("finished", "diverged")
    for record in trainer.recorder.records:
        numbers = [record.train_loss, record.val_loss, record.train_acc, record.val_acc]
        numbers += [s.grad_norm for s in record.layers] + [s.weight_norm for s in record.layers]
        if trainer.status == "finished":
            assert all(math.isfinite(v) for v in numbers), record
    again = MLPTrainer(data, model, train, device="cpu").run()
    assert again.losses == trainer.losses or all(
        (a == b) or (math.isnan(a) and math.isnan(b)) for a, b in zip(again.losses, trainer.losses))
    assert [r.val_loss for r in again.recorder.records] == pytest.approx(
        [r.val_loss for r in trainer.recorder.records], nan_ok=True, rel=0, abs=0)


def property_test(max_examples: int):
    @settings(max_examples=max_examples, deadline=None, derandomize=max_examples < 1000,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(experiments())
    def test(experiment):
        values, spoiled = experiment
        try:
            configs = [cls(**kwargs) for cls, kwargs in values.items()]
            trainer = MLPTrainer(*configs, device="cpu")
        except ValueError as err:  # any other exception type fails the test
            message = str(err)
            if not any(message.startswith(c) for c in COMBINATIONS):
                assert spoiled is not None, f"valid values refused: {err}"
                assert message.startswith(f"{spoiled} must "), f"not a sentence naming {spoiled!r}: {err}"
            return
        # A drawn "bad" value may happen to be allowed (e.g. an in-range boolean): then it trains.
        check_run(trainer, *configs)

    return test


test_configs_either_refuse_with_a_sentence_or_train_to_an_end = property_test(60)
test_a_thousand_configs_either_refuse_with_a_sentence_or_train_to_an_end = pytest.mark.fuzz(property_test(1000))


@pytest.mark.parametrize("make, field_name", [
    (lambda: TrainConfig(lr=float("nan")), "learning rate"),
    (lambda: TrainConfig(steps=2.5), "steps"),
    (lambda: ModelConfig(depth="3"), "depth"),
    (lambda: ModelConfig(dropout=None), "dropout"),
    (lambda: DataConfig(seed=-1), "seed"),
    (lambda: TrainConfig(optimizer=["adam"]), "optimizer"),
])
def test_odd_types_and_values_are_refused_with_the_fields_name(make, field_name):
    with pytest.raises(ValueError, match=rf"^{field_name} must"):
        make()


def test_settings_that_cannot_go_together_are_refused_with_a_sentence():
    """Found by the property test: PyTorch raises for Nesterov without momentum and for
    BatchNorm on one-example batches; the app says why instead."""
    with pytest.raises(ValueError, match="^momentum must be above 0 for Nesterov"):
        TrainConfig(optimizer="nesterov", momentum=0.0)
    with pytest.raises(ValueError, match="^batch size must be at least 2 with BatchNorm"):
        MLPTrainer(DataConfig(n_samples=40), ModelConfig(norm="batch"), TrainConfig(batch_size=1), device="cpu")
    MLPTrainer(DataConfig(n_samples=40), ModelConfig(norm="layer"), TrainConfig(batch_size=1), device="cpu")
