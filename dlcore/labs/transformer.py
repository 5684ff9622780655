"""Transformers: a small encoder learns to reverse, sort or copy 8 digits; its attention maps over
training; positional encoding on and off; self-attention step by step; what √d and T² cost.

The toy tasks read a sequence of digits and write one digit per position:

    reverse  3 1 4 1 5 9 2 6 -> 6 2 9 5 1 4 1 3    position i copies position T−1−i
    sort     3 1 4 1 5 9 2 6 -> 1 1 2 3 4 5 6 9
    copy     3 1 4 1 5 9 2 6 -> 3 1 4 1 5 9 2 6

Reverse is the clearest case for attention: the answer at position i sits at one other position,
T−1−i, so a trained head reads (almost) only that key — the anti-diagonal of its attention map.
It also needs to know *where* tokens are: without a positional encoding the encoder is
permutation-equivariant and cannot tell position 0 from position 7. Copy needs no attention at
all (the residual connection carries each token through), with or without positions.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check, check_choice, check_range
from ..config import TrainConfig
from ..data import Dataset
from ..export import Recipe
from ..models.transformer import SelfAttention, TransformerConfig, TransformerEncoder
from ..trainer import Trainer

TASKS = ("reverse", "sort", "copy")
TASK_LABELS = {"reverse": "reverse the sequence", "sort": "sort the digits", "copy": "copy the sequence"}


# ------------------------------------------------------------------ the data
@dataclass(frozen=True)
class TaskConfig:
    """A toy sequence-to-sequence task on random digit strings."""

    task: str = "reverse"  # reverse, sort or copy
    length: int = 8  # digits per sequence
    n_train: int = 4000  # training sequences (of 10⁸ possible: the network cannot memorise them)
    n_val: int = 500  # validation sequences, drawn separately
    seed: int = 0  # the same seed draws the same sequences

    def __post_init__(self) -> None:
        check_choice("task", self.task, TASKS)
        check_range("sequence length", self.length, 2, 64)
        check_range("number of training sequences", self.n_train, 10, 100_000)
        check_range("number of validation sequences", self.n_val, 10, 100_000)


def target(task: str, tokens: torch.Tensor) -> torch.Tensor:
    """The answer to ``task`` for ``tokens`` (…, T): a digit per position, same shape."""
    check_choice("task", task, TASKS)
    if task == "reverse":
        return tokens.flip(-1)
    if task == "sort":
        return tokens.sort(dim=-1).values
    return tokens.clone()


def make_dataset(cfg: TaskConfig) -> Dataset:
    """Random digit sequences and their answers: x int64 (n, T) tokens, y int64 (n, T) targets."""
    g = torch.Generator().manual_seed(cfg.seed)
    x = torch.randint(0, 10, (cfg.n_train + cfg.n_val, cfg.length), generator=g)  # (n, T)
    y = target(cfg.task, x)
    n = cfg.n_train
    return Dataset(x[:n], y[:n], x[n:], y[n:], n_features=cfg.length, n_classes=10, name=cfg.task)


def parse_digits(text: str, length: int = 8) -> torch.Tensor:
    """The learner's typed sequence as tokens (length,). Spaces and commas are allowed between
    digits; anything else, or the wrong number of digits, is a ValueError sentence."""
    cleaned = re.sub(r"[\s,]", "", text or "")
    check(cleaned != "", f"type {length} digits (0–9), for example 31415926")
    bad = sorted(set(re.sub(r"[0-9]", "", cleaned)))
    check(not bad, f"only the digits 0–9 can be read; {''.join(bad)!r} cannot")
    check(len(cleaned) == length, f"the network reads exactly {length} digits; you typed {len(cleaned)}")
    return torch.tensor([int(ch) for ch in cleaned])


# ------------------------------------------------------------------ training, with attention recorded
@dataclass(frozen=True)
class Snapshot:
    """The network at one recorded step, on the validation set."""

    step: int
    maps: np.ndarray  # (layers, heads, T, T) attention weights averaged over the validation sequences
    token_acc: float  # share of positions right
    sequence_acc: float  # share of sequences right at every position


class SequenceTrainer(Trainer):
    """The shared ``Trainer`` on a token task (per-position cross-entropy), plus, at every
    recorded step, the attention maps and the whole-sequence accuracy on the validation set."""

    def __init__(self, task: TaskConfig, model: TransformerConfig, train: TrainConfig, device=None,
                 dataset: Dataset | None = None):
        check(model.length >= task.length,
              f"the model knows {model.length} positions, the task has sequences of {task.length}")
        self.task_cfg, self.model_cfg = task, model
        net = Recipe(TransformerEncoder, (model,)).build()
        self.snapshots: list[Snapshot] = []
        super().__init__(net, dataset or make_dataset(task), train, layers=net.layers(), loss="cross_entropy",
                         device=device)
        self._snapshot()

    def train_step(self) -> float:
        recorded = len(self.recorder.records)
        loss = super().train_step()
        if len(self.recorder.records) > recorded:
            self._snapshot()
        return loss

    @torch.no_grad()
    def _snapshot(self) -> None:
        x, y = self.dataset.x_val, self.dataset.y_val  # (n_val, T)
        logits, maps = self.forward_with_attention(x)
        right = logits.argmax(dim=-1) == y.cpu()  # (n_val, T); the logits come back on the CPU
        mean_maps = torch.stack([m.mean(dim=0) for m in maps])  # (layers, heads, T, T)
        self.snapshots.append(Snapshot(self.step, mean_maps.cpu().numpy().astype(np.float32),
                                       right.float().mean().item(), right.all(dim=1).float().mean().item()))

    @torch.no_grad()
    def forward_with_attention(self, tokens: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(logits (n, T, vocab), attention weights per layer (n, heads, T, T)) on the CPU."""
        hidden, maps = self.model.encode(tokens.to(self.device))
        return self.model.head(hidden).cpu(), [m.cpu() for m in maps]

    def series(self, attribute: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of a snapshot field, e.g. ``series("sequence_acc")``."""
        return (np.array([s.step for s in self.snapshots]),
                np.array([getattr(s, attribute) for s in self.snapshots], dtype=np.float32))


def anti_diagonal_weight(maps: np.ndarray) -> np.ndarray:
    """The mean weight each head puts on key T−1−i from query i (the reverse pattern): (…,) from
    maps (…, T, T). 1/T for uniform attention, 1 for a perfect anti-diagonal."""
    return np.flip(maps, axis=-1).diagonal(axis1=-2, axis2=-1).mean(axis=-1)


@dataclass(frozen=True)
class Prediction:
    """One sequence through a trained network."""

    tokens: np.ndarray  # (T,) the input
    target: np.ndarray  # (T,) the right answer
    predicted: np.ndarray  # (T,) the network's answer (argmax per position)
    confidence: np.ndarray  # (T,) the softmax probability of the predicted digit
    maps: np.ndarray  # (layers, heads, T, T) attention weights on this input


def predict(trainer: SequenceTrainer, tokens: torch.Tensor) -> Prediction:
    """Run ``tokens`` (T,) through the trained network, with its attention weights."""
    logits, maps = trainer.forward_with_attention(tokens.view(1, -1))
    probs = F.softmax(logits[0], dim=-1)  # (T, vocab)
    conf, pred = probs.max(dim=-1)
    return Prediction(tokens.numpy(), target(trainer.task_cfg.task, tokens).numpy(), pred.numpy(),
                      conf.numpy().astype(np.float32),
                      torch.stack([m[0] for m in maps]).numpy().astype(np.float32))


# ------------------------------------------------------------------ presets and the default experiment
TASK = TaskConfig()
MODEL = TransformerConfig()  # 1 block, 2 heads, d_model 32, learned positions: 9,514 parameters
TRAIN = TrainConfig(optimizer="adam", lr=0.01, batch_size=64, steps=200, record_every=10)
NO_POSITIONS = "no positional encoding"


def run_label(positional: str) -> str:
    return NO_POSITIONS if positional == "none" else f"{positional} positional encoding"


def trainers(task: TaskConfig = TASK, model: TransformerConfig = MODEL, train: TrainConfig = TRAIN,
             compare_without_positions: bool = True, device=None) -> dict[str, SequenceTrainer]:
    """The run with ``model``'s positional encoding and, to compare, the same network (same
    seed, data and batches) without one."""
    data = make_dataset(task)
    out = {run_label(model.positional): SequenceTrainer(task, model, train, device, data)}
    if compare_without_positions and model.positional != "none":
        out[NO_POSITIONS] = SequenceTrainer(task, replace(model, positional="none"), train, device, data)
    return out


def default_experiment(device) -> dict[str, SequenceTrainer]:
    """The page's default: reverse with learned positions, and without any, 200 steps each."""
    runs = trainers(device=device)
    for trainer in runs.values():
        trainer.run()
    return runs


# ------------------------------------------------------------------ permutation equivariance
@torch.no_grad()
def permutation_gap(model: TransformerEncoder, tokens: torch.Tensor, perm: torch.Tensor) -> float:
    """max |f(x[perm]) − f(x)[perm]| over the logits: 0 (to rounding) for an encoder that is
    permutation-equivariant, i.e. one without a positional encoding."""
    device = next(model.parameters()).device
    tokens, perm = tokens.to(device), perm.to(device)
    return (model(tokens[:, perm]) - model(tokens)[:, perm]).abs().max().item()


# ------------------------------------------------------------------ self-attention step by step
@dataclass(frozen=True)
class AttentionSteps:
    """One head of one layer on one input, every intermediate as numbers."""

    x: np.ndarray  # (T, d_model) what the attention layer reads (after LayerNorm in a pre-LN block)
    q: np.ndarray  # (T, d_head) queries  X W_Q + b_Q
    k: np.ndarray  # (T, d_head) keys     X W_K + b_K
    v: np.ndarray  # (T, d_head) values   X W_V + b_V
    dot: np.ndarray  # (T, T) Q Kᵀ
    scores: np.ndarray  # (T, T) Q Kᵀ / √d_head
    weights: np.ndarray  # (T, T) softmax of each row of the scores
    output: np.ndarray  # (T, d_head) weights @ V: this head's part of the layer's output
    d_head: int


@torch.no_grad()
def attention_steps(model: TransformerEncoder, tokens: torch.Tensor, layer: int = 0, head: int = 0) -> AttentionSteps:
    """Self-attention of head ``head`` in block ``layer`` for ``tokens`` (T,), step by step."""
    check_range("layer", layer, 0, len(model.blocks) - 1)
    check_range("head", head, 0, model.cfg.heads - 1)
    device = next(model.parameters()).device
    x = model.embed(tokens.view(1, -1).to(device))  # (1, T, d_model)
    pe = model.positional_encoding(tokens.numel())
    if pe is not None:
        x = x + pe
    for block in model.blocks[:layer]:
        x, _ = block(x)
    block = model.blocks[layer]
    x_in = block.ln1(x) if block.pre else x  # (1, T, d_model)
    q, k, v = (t[0, head] for t in block.attn.qkv(x_in))  # (T, d_head) each
    dot = q @ k.T  # (T, T)
    scores = dot / math.sqrt(q.shape[-1])
    weights = F.softmax(scores, dim=-1)
    as_np = [t.cpu().numpy().astype(np.float32) for t in (x_in[0], q, k, v, dot, scores, weights, weights @ v)]
    return AttentionSteps(*as_np, d_head=q.shape[-1])


# ------------------------------------------------------------------ why divide by √d
@dataclass(frozen=True)
class ScalingEffect:
    """Scores q·k of random unit-variance queries and keys, with and without the 1/√d."""

    dims: np.ndarray  # (n,) the head widths d tried
    std_raw: np.ndarray  # (n,) std of q·k: grows like √d
    std_scaled: np.ndarray  # (n,) std of q·k/√d: stays near 1
    max_weight_raw: np.ndarray  # (n,) mean largest softmax weight per row without scaling (→ 1: saturated)
    max_weight_scaled: np.ndarray  # (n,) the same with scaling


def scaling_effect(dims=(4, 16, 64, 256), length: int = 8, samples: int = 500, seed: int = 0) -> ScalingEffect:
    """Draw ``samples`` sets of ``length`` queries and keys with i.i.d. N(0, 1) entries for each
    width d; measure the scores' spread and how peaked each row's softmax is."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for d in dims:
        check_range("head width d", d, 1, 100_000)
        q = torch.randn(samples, length, d, generator=g)
        k = torch.randn(samples, length, d, generator=g)
        dot = q @ k.transpose(1, 2)  # (samples, T, T)
        scaled = dot / math.sqrt(d)
        rows.append([dot.std().item(), scaled.std().item(), F.softmax(dot, dim=-1).amax(dim=-1).mean().item(),
                     F.softmax(scaled, dim=-1).amax(dim=-1).mean().item()])
    cols = np.array(rows, dtype=np.float32).T
    return ScalingEffect(np.array(dims), *cols)


# ------------------------------------------------------------------ the cost: O(T²)
@dataclass(frozen=True)
class AttentionCost:
    """One self-attention layer's forward pass at growing sequence lengths."""

    lengths: np.ndarray  # (n,) T
    seconds: np.ndarray  # (n,) seconds of one forward pass over the batch (the fastest of the repeats)
    weight_bytes: np.ndarray  # (n,) bytes of the attention weights, batch × heads × T × T float32
    d_model: int
    heads: int
    batch: int


@torch.no_grad()
def attention_cost(lengths=(32, 64, 128, 256, 512), d_model: int = 32, heads: int = 2, batch: int = 8,
                   repeats: int = 5, seed: int = 0) -> AttentionCost:
    """Time one ``SelfAttention`` forward pass over ``batch`` sequences (wall time, the fastest of
    ``repeats``: the one least disturbed by other work on a shared machine, as ``timeit`` advises)
    and count the bytes of the (batch, heads, T, T) attention weights it materialises, for each T."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layer = SelfAttention(d_model, heads)
    seconds, sizes = [], []
    for t in lengths:
        check_range("sequence length", t, 1, 4096)
        x = torch.randn(batch, t, d_model, generator=torch.Generator().manual_seed(seed))
        _, weights = layer(x)  # warm-up, and the weights' size
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            layer(x)
            times.append(time.perf_counter() - start)
        seconds.append(min(times))
        sizes.append(weights.numel() * weights.element_size())
    return AttentionCost(np.array(lengths), np.array(seconds, dtype=np.float64), np.array(sizes), d_model, heads, batch)

