"""Property tests of the engine (hypothesis): configs drawn across and beyond every field's range.

Each draw either raises a ``ValueError`` whose message is a sentence naming the field ("learning
rate must be > 0 and ≤ 10, got -1"), or trains a few steps and ends ``finished`` or ``diverged``
— never another exception — with finite recorded numbers while it ran, and the same numbers
again for the same config. The default suite draws a few dozen cases;
``python -m pytest -m fuzz tests/core/test_properties.py`` draws 1,000.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcore import DataConfig, MLPTrainer, ModelConfig, TrainConfig
from dlcore.config import ACTIVATION_NAMES, DATASETS, INIT_NAMES, NORM_NAMES, OPTIMIZER_NAMES, SCHEDULE_NAMES

SENTENCE = re.compile(r"^[a-z][a-z -]* must (be|have)\b")
junk = st.one_of(st.none(), st.text(max_size=5), st.just(float("nan")), st.just(float("inf")),
                 st.just(-1e12), st.just([1, 2]), st.booleans())


def field(good, bad=junk):
    """Mostly values inside the range (small, so cases train quickly), sometimes anything."""
    return st.one_of(good, good, good, bad)


def small_float(low, high):
    return st.floats(low, high, allow_nan=False)


data_configs = st.builds(
    DataConfig,
    name=field(st.sampled_from([d for d in DATASETS if d != "digits"]), st.one_of(junk, st.just("digits"))),
    n_samples=field(st.integers(20, 120), st.integers(-5, 30_000)),
    noise=field(small_float(0, 2)),
    val_fraction=field(small_float(0.05, 0.9), small_float(-1, 2)),
    seed=field(st.integers(0, 2**31 - 1), st.integers(-10, 2**40)),
)
model_configs = st.builds(
    ModelConfig,
    depth=field(st.integers(1, 4), st.integers(-3, 80)),
    width=field(st.integers(1, 24), st.one_of(st.integers(-3, 0), st.floats(1.5, 2.5))),
    activation=field(st.sampled_from(ACTIVATION_NAMES)),
    init=field(st.sampled_from(INIT_NAMES)),
    dropout=field(small_float(0, 0.95), small_float(-1, 2)),
    norm=field(st.sampled_from(NORM_NAMES)),
    residual=st.booleans(),
    bias_init=field(small_float(-20, 20), small_float(-100, 100)),
)
train_configs = st.builds(
    TrainConfig,
    optimizer=field(st.sampled_from(OPTIMIZER_NAMES)),
    lr=field(st.floats(1e-4, 10, allow_nan=False), small_float(-1, 100)),
    momentum=field(small_float(0, 0.999)),
    weight_decay=field(small_float(0, 1)),
    batch_size=field(st.integers(1, 64), st.integers(-2, 0)),
    steps=field(st.integers(1, 6), st.integers(-2, 0)),
    grad_clip=field(small_float(0, 10)),
    schedule=field(st.sampled_from(SCHEDULE_NAMES)),
    record_every=field(st.integers(1, 3), st.integers(-2, 0)),
    seed=field(st.integers(0, 1000), st.integers(-10, -1)),
)


def configs_or_sentence(draw_data, draw_model, draw_train):
    """The three configs, or the ValueError their checks raised (asserted to be a sentence)."""
    try:
        return draw_data(), draw_model(), draw_train()
    except ValueError as err:
        assert SENTENCE.match(str(err)), f"not a sentence naming the field: {err}"
        return None
    # any other exception type propagates and fails the test


def check_run(data: DataConfig, model: ModelConfig, train: TrainConfig) -> None:
    trainer = MLPTrainer(data, model, train, device="cpu").run()
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
    @given(st.data())
    def test(data):
        drawn = configs_or_sentence(lambda: data.draw(data_configs), lambda: data.draw(model_configs),
                                    lambda: data.draw(train_configs))
        if drawn is not None:
            check_run(*drawn)

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
