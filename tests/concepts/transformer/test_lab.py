"""Unit tests of the Transformer model and laboratory: shapes, checks as sentences, determinism."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore import TrainConfig
from dlcore.labs import transformer as tf
from dlcore.models.transformer import (
    TransformerConfig,
    TransformerEncoder,
    causal_mask,
    padding_mask,
    sinusoidal_encoding,
)

SHORT = TrainConfig(lr=0.01, batch_size=32, steps=20, record_every=5)
SMALL = tf.TaskConfig(n_train=200, n_val=50)


@pytest.mark.parametrize("task, expected", [("reverse", [6, 2, 9, 5, 1, 4, 1, 3]),
                                            ("sort", [1, 1, 2, 3, 4, 5, 6, 9]),
                                            ("copy", [3, 1, 4, 1, 5, 9, 2, 6])])
def test_targets_of_each_task(task, expected):
    assert tf.target(task, torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])).tolist() == expected


def test_dataset_shapes_and_answers():
    ds = tf.make_dataset(replace(SMALL, task="sort"))
    assert ds.x_train.shape == (200, 8) and ds.x_val.shape == (50, 8) and ds.x_train.dtype == torch.int64
    assert torch.equal(ds.y_val, ds.x_val.sort(dim=1).values) and ds.n_classes == 10
    assert torch.equal(tf.make_dataset(SMALL).x_train, tf.make_dataset(SMALL).x_train)


@pytest.mark.parametrize("cfg", [dict(layers=1, heads=1, positional="none"), dict(layers=2, heads=4, norm="post"),
                                 dict(positional="sinusoidal", d_model=33, heads=3)])
def test_model_output_and_attention_shapes(cfg):
    model = TransformerEncoder(TransformerConfig(**cfg))
    x = torch.randint(0, 10, (5, 8))
    assert model(x).shape == (5, 8, 10)
    maps = model.attention_maps(x)
    assert len(maps) == model.cfg.layers and maps[0].shape == (5, model.cfg.heads, 8, 8)
    torch.testing.assert_close(maps[-1].sum(-1), torch.ones(5, model.cfg.heads, 8))


@pytest.mark.parametrize("kwargs, message", [
    (dict(d_model=32, heads=3), "must split evenly over the heads"),
    (dict(positional="rope"), "positional encoding must be one of learned, sinusoidal, none"),
    (dict(layers=0), "number of layers must be ≥ 1"),
    (dict(norm="middle"), "LayerNorm placement must be one of pre, post"),
])
def test_config_errors_are_sentences(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TransformerConfig(**kwargs)


def test_task_errors_are_sentences():
    with pytest.raises(ValueError, match="task must be one of reverse, sort, copy"):
        tf.TaskConfig(task="shuffle")
    with pytest.raises(ValueError, match="the model knows 8 positions"):
        tf.SequenceTrainer(replace(SMALL, length=12), TransformerConfig(), SHORT, "cpu")


@pytest.mark.parametrize("text, message", [
    ("", "type 8 digits"), ("1234abc8", "only the digits 0–9 can be read; 'abc' cannot"),
    ("1234", "exactly 8 digits; you typed 4"), ("1-2-3-4-5-6-7-8", "'-' cannot"),
])
def test_typed_input_errors_are_sentences(text, message):
    with pytest.raises(ValueError, match=message):
        tf.parse_digits(text)


def test_typed_input_allows_spaces_and_commas():
    assert tf.parse_digits(" 3,1 4 1 5,9 2 6 ").tolist() == [3, 1, 4, 1, 5, 9, 2, 6]


def test_same_seed_same_run_and_snapshots_at_recorded_steps():
    a = tf.SequenceTrainer(SMALL, TransformerConfig(), SHORT, "cpu").run()
    b = tf.SequenceTrainer(SMALL, TransformerConfig(), SHORT, "cpu").run()
    assert a.losses == b.losses and [s.step for s in a.snapshots] == [0, 5, 10, 15, 20]
    np.testing.assert_array_equal(a.snapshots[-1].maps, b.snapshots[-1].maps)
    assert a.snapshots[-1].maps.shape == (1, 2, 8, 8)
    c = tf.SequenceTrainer(SMALL, TransformerConfig(seed=1), SHORT, "cpu")
    assert not torch.equal(c.model.embed.weight, a.model.embed.weight)


def test_building_a_model_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    TransformerEncoder(TransformerConfig(seed=7))
    assert torch.equal(torch.rand(3), expected)


def test_every_layer_is_instrumented():
    t = tf.SequenceTrainer(SMALL, TransformerConfig(layers=2), SHORT, "cpu").run()
    names = [s.name for s in t.recorder.records[-1].layers]
    assert names == ["attention 1", "feed-forward 1", "attention 2", "feed-forward 2", "output"]
    assert all(np.isfinite(s.grad_norm) and s.grad_norm > 0 for s in t.recorder.records[-1].layers)


def test_a_huge_learning_rate_diverges_with_a_message():
    t = tf.SequenceTrainer(SMALL, TransformerConfig(), replace(SHORT, lr=10.0), "cpu").run()
    assert t.diverged and t.message.startswith("diverged at step")


def test_prediction_of_a_typed_sequence():
    t = tf.SequenceTrainer(SMALL, TransformerConfig(layers=2), SHORT, "cpu").run()
    p = tf.predict(t, tf.parse_digits("31415926"))
    assert p.target.tolist() == [6, 2, 9, 5, 1, 4, 1, 3] and p.predicted.shape == (8,)
    assert p.maps.shape == (2, 2, 8, 8) and np.all((p.confidence > 0) & (p.confidence <= 1))


def test_masks():
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert padding_mask(torch.tensor([2, 3]), 3)[:, 0, 0].tolist() == [[True, True, False], [True, True, True]]


def test_sinusoidal_encoding_values():
    pe = sinusoidal_encoding(4, 6)
    assert pe.shape == (4, 6) and pe[0, 0] == 0 and pe[0, 1] == 1
    assert pe[2, 2] == pytest.approx(np.sin(2 / 10000 ** (2 / 6)))


def test_step_by_step_checks_its_arguments():
    model = TransformerEncoder(TransformerConfig())
    with pytest.raises(ValueError, match="head must be"):
        tf.attention_steps(model, torch.zeros(8, dtype=torch.long), head=2)
    s = tf.attention_steps(model, torch.arange(8))
    assert s.q.shape == (8, 16) and s.weights.shape == (8, 8) and s.d_head == 16


def test_the_same_seed_gives_the_same_weights_while_other_sessions_draw_random_numbers():
    """Thirty students on one server: another session's thread drawing from torch's global generator
    while this one builds its model must not change this model's weights (the same link, the same run)."""
    import sys
    import threading

    cfg = TransformerConfig(seed=3)
    reference = TransformerEncoder(cfg).state_dict()
    stop = threading.Event()

    def other_session() -> None:
        while not stop.is_set():
            torch.rand(8)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: a shared generator would be hit
    thread = threading.Thread(target=other_session)
    thread.start()
    try:
        builds = [TransformerEncoder(cfg).state_dict() for _ in range(30)]
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    for weights in builds:
        assert all(torch.equal(weights[name], reference[name]) for name in reference)
