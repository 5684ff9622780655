"""Unit tests of the recurrent models and the RNN laboratory: the hand-written cells against
PyTorch's, the initialisation, the memory task, the BPTT measurement, readable errors, determinism."""

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcore import TrainConfig, Trainer
from dlcore.labs import rnn
from dlcore.models.rnn import RecurrentConfig, build_recurrent, cell_parameter_formula, gru_trace, lstm_trace
from dlcore.models.size import count_parameters

TINY_TASK = rnn.MemoryTask(distractors=6, n_train=64, n_val=16)
TINY_TRAIN = TrainConfig(lr=0.003, batch_size=16, steps=12, record_every=4)


def tiny(cell="lstm", **model):
    return rnn.RecurrentTrainer(TINY_TASK, RecurrentConfig(cell=cell, hidden=8, **model), TINY_TRAIN, device="cpu")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_hand_written_cell_matches_pytorch(cell):
    model = build_recurrent(5, 3, RecurrentConfig(cell=cell, hidden=7, forget_bias=2.0), seed=3)
    x = torch.randn(4, 9, 5, generator=torch.Generator().manual_seed(0))  # (batch, time, features)
    with torch.no_grad():
        out, state = model.cell(x)
        trace = (lstm_trace if cell == "lstm" else gru_trace)(model.cell, x)
    torch.testing.assert_close(trace["hidden"], out, rtol=1e-5, atol=1e-6)
    if cell == "lstm":
        torch.testing.assert_close(trace["cell"][:, -1], state[1][0], rtol=1e-5, atol=1e-6)
        gates = [trace[k] for k in ("input", "forget", "output", "update") if k in trace]
    else:
        gates = [trace["reset"], trace["update"]]
    assert all(((g > 0) & (g < 1)).all() for g in gates)


def test_forget_bias_is_the_gates_total_bias_and_other_cells_ignore_it():
    model = build_recurrent(8, 4, RecurrentConfig(cell="lstm", hidden=6, forget_bias=3.0))
    total = model.cell.bias_ih_l0 + model.cell.bias_hh_l0  # gates: input, forget, candidate, output
    assert torch.all(total[6:12] == 3.0)
    assert total[:6].abs().max() < 2 / 6**0.5  # the other gates keep the default U(−1/√H, 1/√H) draws
    gru = build_recurrent(8, 4, RecurrentConfig(cell="gru", hidden=6, forget_bias=3.0))
    assert (gru.cell.bias_ih_l0 + gru.cell.bias_hh_l0).abs().max() < 2 / 6**0.5


def test_recurrent_scale_multiplies_only_w_hh():
    a = build_recurrent(8, 4, RecurrentConfig(cell="rnn", hidden=6), seed=1)
    b = build_recurrent(8, 4, RecurrentConfig(cell="rnn", hidden=6, recurrent_scale=3.0), seed=1)
    torch.testing.assert_close(b.cell.weight_hh_l0, 3 * a.cell.weight_hh_l0)
    torch.testing.assert_close(b.cell.weight_ih_l0, a.cell.weight_ih_l0)


def test_building_is_seeded_and_leaves_the_global_generator_alone():
    state = torch.random.get_rng_state()
    a, b = (build_recurrent(8, 4, RecurrentConfig(cell="gru"), seed=5) for _ in range(2))
    c = build_recurrent(8, 4, RecurrentConfig(cell="gru"), seed=6)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.cell.weight_hh_l0, c.cell.weight_hh_l0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_parameter_counts_follow_the_gate_formula(cell):
    model = build_recurrent(8, 4, RecurrentConfig(cell=cell, hidden=32))
    assert count_parameters(model.cell) == cell_parameter_formula(cell, 8, 32)
    assert count_parameters(model) == cell_parameter_formula(cell, 8, 32) + 32 * 4 + 4


@pytest.mark.parametrize("bad, message", [
    (dict(cell="transformer"), "cell must be one of rnn, lstm, gru"),
    (dict(hidden=0), "hidden size must be ≥ 1"),
    (dict(recurrent_scale=0.0), "recurrent weight scale must be > 0"),
    (dict(nonlinearity="sigmoid"), "RNN non-linearity must be one of tanh, relu"),
    (dict(forget_bias=float("nan")), "forget-gate bias must be"),
])
def test_bad_model_settings_are_sentences(bad, message):
    with pytest.raises(ValueError, match=message):
        RecurrentConfig(**bad)


def test_bad_task_settings_and_an_empty_comparison_are_sentences():
    with pytest.raises(ValueError, match="number of distractor steps T must be ≥ 1"):
        rnn.MemoryTask(distractors=0)
    with pytest.raises(ValueError, match="number of symbols must be ≥ 2"):
        rnn.MemoryTask(symbols=1)
    with pytest.raises(ValueError, match="pick at least one cell"):
        rnn.CellComparison(TINY_TASK, RecurrentConfig(), TINY_TRAIN, cells=())
    with pytest.raises(ValueError, match="cell must be one of"):
        rnn.CellComparison(TINY_TASK, RecurrentConfig(), TINY_TRAIN, cells=("lstm", "mamba"))


def test_memory_task_sequences():
    ds = rnn.memory_task(TINY_TASK)
    k, T = TINY_TASK.symbols, TINY_TASK.distractors
    assert ds.x_train.shape == (64, T + 1, 2 * k) and ds.x_val.shape == (16, T + 1, 2 * k)
    assert torch.all(ds.x_train.sum(dim=2) == 1)  # one-hot at every step
    tokens = ds.x_train.argmax(dim=2)  # (n, T + 1)
    assert torch.equal(tokens[:, 0], ds.y_train)  # the answer is the first symbol
    assert tokens[:, 0].max() < k and tokens[:, 1:].min() >= k  # distractors come from the other K symbols
    assert torch.equal(rnn.memory_task(TINY_TASK).x_val, ds.x_val)
    assert not torch.equal(rnn.memory_task(replace(TINY_TASK, seed=1)).x_val, ds.x_val)


def test_input_gradient_norms_are_autograds_and_leave_parameter_gradients_alone():
    model = build_recurrent(8, 4, RecurrentConfig(cell="rnn", hidden=8), seed=0)
    ds = rnn.memory_task(TINY_TASK)
    x, y = ds.x_val, ds.y_val
    F.cross_entropy(model(x), y).backward()
    before = [p.grad.clone() for p in model.parameters()]
    norms = rnn.input_gradient_norms(model, x, y)
    assert [torch.equal(p.grad, g) for p, g in zip(model.parameters(), before)] == [True] * len(before)
    xr = x.clone().requires_grad_(True)
    F.cross_entropy(model(xr), y).backward()
    np.testing.assert_allclose(norms, xr.grad.norm(dim=(0, 2)).double().numpy(), rtol=1e-5)
    ratio = rnn.bptt_ratio(norms)
    assert ratio.shape == (TINY_TASK.distractors + 1,) and ratio[-1] == 1.0


def test_safe_log10_floors_zero_and_non_finite():
    out = rnn.safe_log10(np.array([100.0, 0.0, np.nan, np.inf, 1e-30]))
    np.testing.assert_array_equal(out, [2.0, rnn.LOG10_FLOOR, rnn.LOG10_FLOOR, rnn.LOG10_FLOOR, rnn.LOG10_FLOOR])


def test_the_trainer_is_the_shared_one_and_records_bptt_at_every_record():
    t = tiny().run()
    assert isinstance(t, Trainer) and t.status == "finished"
    assert [r.step for r in t.recorder.records] == [0, 4, 8, 12]
    assert len(t.grad_norms) == len(t.recorder.records)
    bmap = t.bptt_map()
    assert bmap.log10_ratio.shape == (4, TINY_TASK.distractors + 1)
    np.testing.assert_array_equal(bmap.steps, [0, 4, 8, 12])
    assert np.all(bmap.log10_ratio[:, -1] == 0)  # the last step relative to itself
    assert np.isfinite(t.ms_per_step) and t.ms_per_step > 0
    assert [s.name for s in t.recorder.records[-1].layers] == ["LSTM", "output"]


def test_same_seed_same_run_and_another_seed_another():
    a, b = tiny("gru").run(), tiny("gru").run()
    assert a.losses == b.losses
    np.testing.assert_array_equal(a.bptt_map().log10_ratio, b.bptt_map().log10_ratio)
    c = rnn.RecurrentTrainer(TINY_TASK, RecurrentConfig(cell="gru", hidden=8), replace(TINY_TRAIN, seed=1),
                             device="cpu").run()
    assert c.losses != a.losses


def test_comparison_shares_data_and_labels_the_lstm_with_its_bias():
    comp = rnn.CellComparison(TINY_TASK, RecurrentConfig(hidden=8, forget_bias=1.0), TINY_TRAIN)
    trainers = comp.trainers("cpu")
    assert list(trainers) == ["RNN", "LSTM (forget bias 1)", "GRU"]
    xs = [t.dataset.x_train for t in trainers.values()]
    assert all(torch.equal(x, xs[0]) for x in xs)
    rows = rnn.summary(rnn.CellComparison(TINY_TASK, RecurrentConfig(hidden=8), TINY_TRAIN, ("rnn",)).trainers("cpu"))
    assert rows[0].label == "RNN" and rows[0].parameters == 8 * 8 + 8 * 8 + 16 + 8 * 4 + 4 and rows[0].solved_at is None


def test_inside_gives_the_gates_of_one_sequence():
    lstm, gru, plain = tiny("lstm"), tiny("gru"), tiny("rnn")
    trace = rnn.inside(lstm, 3)
    steps = TINY_TASK.distractors + 1
    assert set(trace) == {"input", "forget", "candidate", "output", "cell", "hidden"}
    assert all(v.shape == (steps, 8) and v.dtype == np.float32 for v in trace.values())
    assert set(rnn.inside(gru, 0)) == {"reset", "update", "candidate", "hidden"}
    assert rnn.inside(plain, 0) is None
    with pytest.raises(ValueError, match="example must be"):
        rnn.inside(lstm, 99)


def test_solved_at_is_the_first_record_at_the_level():
    t = tiny().run()
    accs = t.recorder.series("val_acc")
    level = float(accs.max())
    assert rnn.solved_at(t.recorder, level) == t.recorder.steps()[int(np.argmax(accs >= level))]
    assert rnn.solved_at(t.recorder, 1.01) is None


def test_relu_rnn_is_recorded_as_relu():
    model = build_recurrent(8, 4, RecurrentConfig(cell="rnn", nonlinearity="relu"))
    assert model.cell.nonlinearity == "relu" and model.layers()[0].activation == "relu"
