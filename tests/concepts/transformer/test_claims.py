"""Claim tests: every sentence the Transformers page teaches that an experiment can check.

The training claims run the page's own runs (``dlcore.labs.transformer.trainers``) once per seed
for the whole module; the attention and scaling claims use the app's attention code on tensors.
"""

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlcore.labs import transformer as tf
from dlcore.models.transformer import SelfAttention, TransformerEncoder, attention, causal_mask

SEEDS = (0, 1, 2)
WITH, WITHOUT = "learned positional encoding", tf.NO_POSITIONS


def run(task="reverse", seed=0, compare=True, **model):
    runs = tf.trainers(replace(tf.TASK, task=task, seed=seed), replace(tf.MODEL, seed=seed, **model),
                       replace(tf.TRAIN, seed=seed, steps=400 if task == "sort" else tf.TRAIN.steps),
                       compare_without_positions=compare, device="cpu")
    for trainer in runs.values():
        trainer.run()
    return runs


@pytest.fixture(scope="module")
def reverse_runs(one_thread):
    """The default experiment (reverse, with and without positions) on seeds 0, 1, 2."""
    return {seed: run(seed=seed) for seed in SEEDS}


def first_solved(trainer, level=0.99):
    steps, seq = trainer.series("sequence_acc")
    return int(steps[seq >= level][0]) if (seq >= level).any() else None


# ------------------------------------------------------------------ the live experiment
def test_the_default_network_has_9514_parameters():
    """"One encoder block with two heads, d_model = 32: 9,514 parameters.\""""
    assert sum(p.numel() for p in TransformerEncoder(tf.MODEL).parameters()) == 9514


def test_reverse_is_solved_with_positional_encoding(reverse_runs):
    """"With a positional encoding the network reverses every validation sequence (token and
    whole-sequence accuracy 1.0 within the 200 steps; 99 % of sequences right by step 100).\""""
    for runs in reverse_runs.values():
        last = runs[WITH].snapshots[-1]
        assert last.token_acc >= 0.995 and last.sequence_acc >= 0.99
        assert first_solved(runs[WITH]) <= 100


def test_reverse_cannot_be_learned_without_positional_encoding(reverse_runs):
    """"Without it, the same network gets about a third of the digits right (token accuracy ≈ 0.31)
    and not one whole sequence.\""""
    for runs in reverse_runs.values():
        last = runs[WITHOUT].snapshots[-1]
        assert 0.25 <= last.token_acc <= 0.4 and last.sequence_acc <= 0.01


def test_a_trained_head_reads_the_anti_diagonal(reverse_runs):
    """"For reverse, each head ends up reading (almost) only key 7 − i from query i: more than 0.8 of
    its weight on the anti-diagonal, against 1/8 for attention spread evenly at the start.\""""
    for runs in reverse_runs.values():
        snaps = runs[WITH].snapshots
        start, end = tf.anti_diagonal_weight(snaps[0].maps), tf.anti_diagonal_weight(snaps[-1].maps)
        assert np.all(np.abs(start - 1 / 8) < 0.05), start
        assert np.all(end > 0.8), end


def test_without_positions_attention_cannot_find_the_mirror_position(reverse_runs):
    """"Without positions the heads stay at about 1/8 on the anti-diagonal: they cannot tell where
    key 7 − i is.\""""
    for runs in reverse_runs.values():
        end = tf.anti_diagonal_weight(runs[WITHOUT].snapshots[-1].maps)
        assert np.all(np.abs(end - 1 / 8) < 0.03), end


def test_without_positional_encoding_the_encoder_is_permutation_equivariant(reverse_runs):
    """"Without a positional encoding, permuting the input permutes the output the same way
    (to rounding error); with one it does not.\""""
    x = reverse_runs[0][WITH].dataset.x_val[:64]
    perm = torch.randperm(8, generator=torch.Generator().manual_seed(0))
    assert tf.permutation_gap(reverse_runs[0][WITHOUT].model, x, perm) < 1e-4
    assert tf.permutation_gap(reverse_runs[0][WITH].model, x, perm) > 1.0


def test_sinusoidal_positions_solve_reverse_too():
    """"The fixed sinusoidal encoding works as well as a learned one here.\""""
    runs = run(positional="sinusoidal", compare=False)
    last = runs["sinusoidal positional encoding"].snapshots[-1]
    assert last.token_acc >= 0.995 and last.sequence_acc >= 0.99


def test_copy_needs_no_positions():
    """"Copy is solved even without a positional encoding: the residual connection carries each
    token straight to its own position.\""""
    last = run(task="copy", positional="none", compare=False)[WITHOUT].snapshots[-1]
    assert last.sequence_acc >= 0.99


@pytest.mark.parametrize("seed", SEEDS)
def test_sort_is_learned_in_400_steps(seed):
    """"Sort is harder: it takes one block 400 steps to get 99 % of the digits and 95 % of whole
    sequences right.\""""
    last = run(task="sort", seed=seed, compare=False)[WITH].snapshots[-1]
    assert last.token_acc >= 0.99 and last.sequence_acc >= 0.95


# ------------------------------------------------------------------ attention written by hand
def test_hand_written_attention_equals_pytorchs():
    """"The attention here is written out by hand; it gives PyTorch's
    ``scaled_dot_product_attention`` to rounding, with or without a causal mask.\""""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(3, 2, 8, 16, generator=g) for _ in range(3))
    for mask in (None, causal_mask(8)):
        ours, weights = attention(q, k, v, mask)
        theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
        assert torch.allclose(weights.sum(-1), torch.ones(3, 2, 8))
    assert torch.all(attention(q, k, v, causal_mask(8))[1].triu(1) == 0)  # nothing read from the future


def test_the_multi_head_layer_equals_nn_multihead_attention():
    """"Our multi-head layer, given the same weights, computes what ``nn.MultiheadAttention`` does —
    outputs and every head's weights.\""""
    torch.manual_seed(0)
    ours = SelfAttention(32, 4)
    ref = nn.MultiheadAttention(32, 4, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.q.weight, ours.k.weight, ours.v.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.q.bias, ours.k.bias, ours.v.bias]))
        ref.out_proj.weight.copy_(ours.out.weight)
        ref.out_proj.bias.copy_(ours.out.bias)
    x = torch.randn(5, 8, 32)
    out, weights = ours(x)
    ref_out, ref_weights = ref(x, x, x, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(weights, ref_weights, atol=1e-6, rtol=1e-5)


def test_the_steps_shown_are_the_ones_the_model_computes(reverse_runs):
    """"Q, K, V, the scores, the softmax and the weighted sum shown are the trained model's own
    numbers: put the heads' outputs together and W_O gives the layer's output.\""""
    model = reverse_runs[0][WITH].model
    tokens = tf.parse_digits("31415926")
    steps = [tf.attention_steps(model, tokens, 0, h) for h in range(model.cfg.heads)]
    block = model.blocks[0]
    x_in = torch.from_numpy(steps[0].x).unsqueeze(0)  # (1, T, d_model)
    with torch.no_grad():
        expected, weights = block.attn(x_in)
        combined = block.attn.out(torch.from_numpy(np.concatenate([s.output for s in steps], axis=1)))
    torch.testing.assert_close(combined, expected[0], atol=1e-5, rtol=1e-5)
    for h, s in enumerate(steps):
        np.testing.assert_allclose(s.scores, s.q @ s.k.T / np.sqrt(s.d_head), atol=1e-4)
        np.testing.assert_allclose(s.weights, weights[0, h].numpy(), atol=1e-6)


# ------------------------------------------------------------------ why √d
def test_scaling_by_root_d_keeps_the_score_std_near_one():
    """"For queries and keys with unit-variance entries, q·k has std √d; divided by √d it stays
    near 1 whatever d is.\""""
    e = tf.scaling_effect(dims=(4, 16, 64, 256))
    np.testing.assert_allclose(e.std_scaled, 1.0, atol=0.05)
    np.testing.assert_allclose(e.std_raw, np.sqrt(e.dims), rtol=0.05)


def test_without_scaling_the_softmax_saturates_as_d_grows():
    """"Without the √d the softmax saturates as d grows: at d = 64 the largest weight of a row
    averages above 0.85 (almost one-hot), against about 0.36 with it.\""""
    e = tf.scaling_effect(dims=(4, 64, 256))
    assert np.all(np.diff(e.max_weight_raw) > 0) and e.max_weight_raw[1] > 0.85
    assert np.all(np.abs(e.max_weight_scaled - 0.36) < 0.04)


# ------------------------------------------------------------------ the cost
def test_attention_weights_take_t_squared_memory():
    """"The attention weights take batch × heads × T × T numbers: doubling T quadruples them.\""""
    cost = tf.attention_cost(lengths=(32, 64, 128), repeats=1)
    assert list(cost.weight_bytes) == [cost.batch * cost.heads * t * t * 4 for t in (32, 64, 128)]
    assert np.all(cost.weight_bytes[1:] / cost.weight_bytes[:-1] == 4)
