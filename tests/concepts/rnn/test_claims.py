"""Claim tests: every sentence the Recurrent networks page teaches that an experiment can check.

The memory claims train the page's default comparison (dlcore.labs.rnn.MEMORY: T = 40, hidden
32, Adam 0.003, 150 steps) once per seed for the whole module; the rest run small variants.
"""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore.labs import rnn
from dlcore.labs.rnn import MEMORY
from dlcore.models.rnn import RecurrentConfig, build_recurrent, gru_trace, lstm_trace
from dlcore.models.size import count_parameters

SEEDS = (0, 1, 2, 3, 4)
CHANCE = MEMORY.task.chance
RNN, LSTM, GRU = "RNN", "LSTM (forget bias 3)", "GRU"


def train(comparison: rnn.CellComparison) -> dict[str, rnn.RecurrentTrainer]:
    trainers = comparison.trainers("cpu")
    for t in trainers.values():
        t.run()
    return trainers


def seeded(comparison: rnn.CellComparison, seed: int) -> rnn.CellComparison:
    return replace(comparison, task=replace(comparison.task, seed=seed), train=replace(comparison.train, seed=seed))


@pytest.fixture(scope="module")
def runs(one_thread):
    """The default experiment on seeds 0–4: {seed: {label: trainer}}."""
    return {seed: train(seeded(MEMORY, seed)) for seed in SEEDS}


@pytest.fixture(scope="module")
def bias_one(one_thread):
    """The LSTM with forget-gate bias 1, seeds 0–4."""
    c = replace(MEMORY, model=replace(MEMORY.model, forget_bias=1.0), cells=("lstm",))
    return {seed: train(seeded(c, seed))["LSTM (forget bias 1)"] for seed in SEEDS}


def max_acc(trainer) -> float:
    return float(trainer.recorder.series("val_acc").max())


# ------------------------------------------------------------------ who remembers
def test_lstm_solves_t40_by_step_50_and_rnn_and_gru_stay_at_chance_on_the_default_seed(runs):
    """"With T = 40 on the default seed the LSTM with forget-gate bias 3 reaches 95 % validation
    accuracy by step 50; the vanilla RNN and the GRU stay at chance (0.25) for all 150 steps.\""""
    trainers = runs[0]
    assert rnn.solved_at(trainers[LSTM].recorder) <= 50
    for name in (RNN, GRU):
        assert trainers[name].status == "finished" and trainers[name].step == 150
        assert max_acc(trainers[name]) < CHANCE + 0.1, name


def test_on_seeds_0_to_4_the_lstm_always_solves_and_the_others_never_do(runs):
    """"On seeds 0–4 the LSTM got there at step 50, 110, 50, 70 and 60, the RNN and the GRU never
    within 150 steps.\""""
    assert [rnn.solved_at(runs[s][LSTM].recorder) for s in SEEDS] == [50, 110, 50, 70, 60]
    for s in SEEDS:
        assert rnn.solved_at(runs[s][RNN].recorder) is None and rnn.solved_at(runs[s][GRU].recorder) is None
        assert max_acc(runs[s][RNN]) < 0.5 and max_acc(runs[s][GRU]) < 0.5


# ------------------------------------------------------------------ gradients through time
def test_at_initialization_rnn_and_gru_ratios_vanish_and_the_lstms_stays_near_one(runs):
    """"The RNN's ratio ‖∂L/∂x_0‖ / ‖∂L/∂x_T‖ is about 10⁻¹⁰ (below 10⁻⁶ on every seed tried) … The
    LSTM's stays near 1 (0.35 to 1.2) … The GRU at PyTorch's default initialization starts like
    the RNN (about 10⁻⁸).\""""
    rnn0 = [runs[s][RNN].ratio_at(0)[0] for s in SEEDS]
    lstm0 = [runs[s][LSTM].ratio_at(0)[0] for s in SEEDS]
    gru0 = [runs[s][GRU].ratio_at(0)[0] for s in SEEDS]
    assert max(rnn0) < 1e-6 and 1e-11 < runs[0][RNN].ratio_at(0)[0] < 1e-9
    assert min(lstm0) > 0.3 and max(lstm0) < 1.3  # the "above 1e-2", with room to spare
    assert max(gru0) < 1e-6 and 1e-9 < runs[0][GRU].ratio_at(0)[0] < 1e-7


def test_gru_update_gate_starts_near_one_half(runs):
    """"its update gate is about 0.5, so half of the state is replaced at every step.\""""
    model = build_recurrent(8, 4, RecurrentConfig(cell="gru", hidden=32), seed=0)
    with torch.no_grad():
        z = gru_trace(model.cell, runs[0][GRU].dataset.x_val)["update"]
    assert abs(z.mean().item() - 0.5) < 0.03


def test_forget_bias_one_drops_the_ratio_to_about_1e_minus_3_and_the_lstm_fails(bias_one):
    """"Set it to 1 … the LSTM's ratio at t = 0 drops to about 10⁻³ and it stays at chance for 150
    steps on all five seeds.\""""
    for t in bias_one.values():
        assert 1e-4 < t.ratio_at(0)[0] < 1e-2
        assert rnn.solved_at(t.recorder) is None and max_acc(t) < 0.4


def test_forget_bias_zero_starts_as_badly_off_as_the_rnn():
    """"At 0 it starts as badly off as the RNN.\""""
    c = replace(MEMORY, model=replace(MEMORY.model, forget_bias=0.0), train=replace(MEMORY.train, steps=1),
                cells=("lstm",))
    assert c.trainers("cpu")["LSTM (forget bias 0)"].ratio_at(0)[0] < 1e-6


def test_after_training_the_lstm_still_passes_gradient_to_step_0_and_the_rnn_does_not(runs):
    """"After training the LSTM still passes a large share of the gradient back to step 0 (the solid
    blue line stays above 10⁻²), while the RNN's stays small.\""""
    assert runs[0][LSTM].ratio_at(-1)[0] > 1e-2
    assert runs[0][RNN].ratio_at(-1)[0] < 1e-3


def test_time_by_step_maps_rnn_loses_a_decade_every_four_steps_and_the_lstm_stays_above_1e_minus_2(runs):
    """"the RNN loses an order of magnitude about every four steps back in time, and on the default
    seed its ratio at t = 0 stays below 10⁻⁸ until step 120 (it starts to rise only near the end);
    the LSTM's map never drops much below 10⁻² anywhere.\""""
    rnn_map, lstm_map = runs[0][RNN].bptt_map(), runs[0][LSTM].bptt_map()  # log10 ratios (records, time)
    early = rnn_map.steps <= 120
    slopes = np.polyfit(np.arange(41), rnn_map.log10_ratio[early].T, 1)[0]  # decades per step, per record
    assert (slopes > 1 / 5).all() and (slopes < 1 / 3).all()
    assert (rnn_map.log10_ratio[early, 0] < -8).all()
    assert rnn_map.log10_ratio[-1, 0] > -6  # the rise at the end
    assert (lstm_map.log10_ratio > -2.2).all()


# ------------------------------------------------------------------ other gaps, other rates
def test_short_gaps_are_easy_and_t60_needs_more_than_150_steps():
    """"At T = 10 all three solve the task (the RNN by step 60, the GRU by 110); at T = 20 the RNN
    still does, by step 110. At T = 60 even the LSTM needs more than 150 steps.\""""
    t10 = train(replace(MEMORY, task=replace(MEMORY.task, distractors=10)))
    assert rnn.solved_at(t10[RNN].recorder) <= 60 and rnn.solved_at(t10[GRU].recorder) <= 110
    assert rnn.solved_at(t10[LSTM].recorder) is not None
    t20 = train(replace(MEMORY, task=replace(MEMORY.task, distractors=20), cells=("rnn",)))
    assert rnn.solved_at(t20[RNN].recorder) <= 110
    t60 = train(replace(MEMORY, task=replace(MEMORY.task, distractors=60), cells=("lstm",)))
    assert rnn.solved_at(t60[LSTM].recorder) is None


def test_at_lr_0_03_the_gru_solves_t40_and_the_lstm_does_not():
    """"At learning rate 0.03 with 200 steps the GRU solves T = 40 (by step 200 on the default seed)
    — and the LSTM, at that rate, does not.\""""
    runs = train(replace(MEMORY, train=replace(MEMORY.train, lr=0.03, steps=200), cells=("lstm", "gru")))
    assert rnn.solved_at(runs[GRU].recorder) <= 200
    assert rnn.solved_at(runs[LSTM].recorder) is None


# ------------------------------------------------------------------ inside the cells
def test_trained_lstm_keeps_its_forget_gates_high_and_its_cell_state_groups_the_symbols(runs):
    """"its forget gates stay near 0.96 on every unit at every step, so over the 40 distractors each
    unit keeps roughly a quarter to 40 % of its cell state … the spread between the four groups is
    more than 100 × the spread within a group (at initialization it is below 0.1 ×).\""""
    t = runs[0][LSTM]
    x, y = t.dataset.x_val, t.dataset.y_val
    with torch.no_grad():
        trace = lstm_trace(t.model.cell, x)
        fresh = lstm_trace(build_recurrent(8, 4, t.model_cfg, seed=0).cell, x)
    f = trace["forget"]  # (n, time, hidden)
    assert 0.94 < f.mean().item() < 0.98 and (f.mean(dim=(0, 1)) > 0.9).all()
    kept = f[:, 1:].prod(dim=1).mean(dim=0)  # (hidden,) share of c_0 surviving the distractors
    assert 0.2 < kept.median().item() < 0.3 and kept.max().item() < 0.45
    assert separation(trace["cell"][:, -1], y) > 100
    assert separation(fresh["cell"][:, -1], y) < 0.1


def test_default_gru_keeps_its_update_gate_near_one_half_and_does_not_separate_the_symbols(runs):
    """"The GRU of the default run keeps its update gate near 0.5 … and its last state does not
    separate the symbols.\""""
    t = runs[0][GRU]
    with torch.no_grad():
        trace = gru_trace(t.model.cell, t.dataset.x_val)
    assert abs(trace["update"].mean().item() - 0.5) < 0.05
    assert separation(trace["hidden"][:, -1], t.dataset.y_val) < 0.1


def separation(states: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean squared distance of the class means from their centre over the mean within-class spread."""
    means = torch.stack([states[labels == k].mean(0) for k in range(int(labels.max()) + 1)])
    within = torch.stack([((states[labels == k] - means[k]) ** 2).sum(1).mean() for k in range(len(means))]).mean()
    between = ((means - means.mean(0)) ** 2).sum(1).mean()
    return (between / within).item()


# ------------------------------------------------------------------ exploding, and clipping
@pytest.fixture(scope="module")
def exploding(one_thread):
    task = MEMORY.task
    plain = rnn.RecurrentTrainer(task, rnn.EXPLODING_MODEL, rnn.EXPLODING_TRAIN, device="cpu").run()
    clipped = rnn.RecurrentTrainer(task, rnn.EXPLODING_MODEL, replace(rnn.EXPLODING_TRAIN, grad_clip=1.0),
                                   device="cpu").run()
    return plain, clipped


def test_exploding_demo_grows_forward_and_backward_and_diverges_at_step_2(exploding):
    """"Its state grows step after step (the first loss is already about 10⁶) and so does the
    gradient on its way back: ‖∂L/∂x_0‖ is about 10⁷ × ‖∂L/∂x_T‖ … the run stops with diverged at
    step 2: the loss became nan.\""""
    plain, _ = exploding
    assert 1e5 < plain.recorder.records[0].val_loss < 1e7
    assert 1e6 < plain.ratio_at(0)[0] < 1e8
    assert plain.diverged and plain.message == "diverged at step 2: the loss became nan"


def test_with_clipping_the_same_run_trains_to_the_end_with_bounded_steps_but_stays_at_chance(exploding):
    """"Switch on gradient clipping: … every step has a bounded size, and the same run trains to the
    end. It still stays at chance.\""""
    _, clipped = exploding
    assert clipped.status == "finished" and clipped.step == rnn.EXPLODING_TRAIN.steps
    assert np.isfinite(clipped.losses).all()
    assert clipped.recorder.records[-1].val_acc < CHANCE + 0.1
    t = rnn.RecurrentTrainer(MEMORY.task, rnn.EXPLODING_MODEL, replace(rnn.EXPLODING_TRAIN, grad_clip=1.0),
                             device="cpu")
    before = torch.cat([p.detach().flatten().clone() for p in t.model.parameters()])
    t.advance(1)
    after = torch.cat([p.detach().flatten() for p in t.model.parameters()])
    assert (after - before).norm().item() <= rnn.EXPLODING_TRAIN.lr * 1.0 + 1e-6  # SGD: ‖Δθ‖ = lr·‖g_clipped‖ ≤ lr


def test_with_tanh_large_recurrent_weights_still_explode_the_gradient_through_time():
    """"With tanh instead of ReLU the state is bounded and the first loss is an ordinary one, but the
    gradient through time can still grow (try W_hh × 3 with tanh: the ratio at t = 0 is far larger
    than 1).\""""
    t = rnn.RecurrentTrainer(MEMORY.task, RecurrentConfig(cell="rnn", recurrent_scale=3.0),
                             replace(MEMORY.train, steps=1), device="cpu")
    assert t.ratio_at(0)[0] > 100
    assert t.recorder.records[0].val_loss < 3  # bounded state: an ordinary first loss (ln 4 ≈ 1.4 at chance)


# ------------------------------------------------------------------ GRU vs LSTM
def test_parameter_counts_at_32_hidden_units(runs):
    """"here 4,164 vs 5,508 at 32 hidden units; the RNN 1,476 … a GRU has 3 gate blocks to the
    LSTM's 4 — 3/4 of the parameters\""""
    trainers = runs[0]
    assert [count_parameters(trainers[n].model) for n in (GRU, LSTM, RNN)] == [4164, 5508, 1476]
    assert count_parameters(trainers[GRU].model.cell) * 4 == count_parameters(trainers[LSTM].model.cell) * 3


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="a PyTorch build without oneDNN")
def test_the_cpu_lstm_is_one_fused_onednn_kernel_and_the_gru_runs_step_by_step(runs):
    """"PyTorch's CPU LSTM runs as one fused oneDNN kernel while its GRU runs step by step, a few
    dozen small operations per time step\""""
    x = runs[0][LSTM].dataset.x_val[:32]  # (32, 41, 8) on the CPU
    counts = {}
    for name in (LSTM, GRU):
        cell = runs[0][name].model.cell
        with torch.no_grad(), torch.profiler.profile() as prof:
            cell(x)
        counts[name] = [e.name for e in prof.events()]
    assert "aten::mkldnn_rnn_layer" in counts[LSTM] and len(counts[LSTM]) < 100
    assert not any("mkldnn" in e for e in counts[GRU])
    assert counts[GRU].count("aten::sigmoid_") == 2 * x.shape[1]  # reset and update gates, at every step
    assert len(counts[GRU]) > 20 * x.shape[1]
