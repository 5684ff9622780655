"""Recurrent networks: a long-range memory task, RNN vs LSTM vs GRU trained side by side, and
backpropagation through time measured — returned as data.

The task: a sequence starts with one of K symbols and goes on with T distractor symbols (drawn
from K other symbols); after the last one the network must name the *first*. Chance is 1/K.
Everything it needs was seen T steps ago, so the loss's gradient has to travel back T steps:

    ∂L/∂x_t = ∂L/∂h_T · ∏_{s=t+1..T} ∂h_s/∂h_{s-1} · ∂h_t/∂x_t        (backpropagation through time)

For the vanilla RNN each factor is diag(1 − h_s²) · W_hh: with the default weights (‖W_hh‖ < 1)
the product shrinks geometrically and the first steps get nothing. The LSTM's cell state adds
instead of multiplying (c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t): along it the factor is the forget gate
f_t, and a forget-gate bias of 3 (σ(3) ≈ 0.95) keeps it near 1 from the first step.

``bptt_ratio`` measures ‖∂L/∂x_t‖ / ‖∂L/∂x_T‖ (T = the last step) on a fixed probe of the
validation sequences; ``RecurrentTrainer`` records it at every recorded step, so the page can
draw it at initialization, now, and as a time × step map over training.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check, check_range
from ..config import TrainConfig
from ..data import Dataset
from ..export import Recipe
from ..models.rnn import CELL_LABELS, CELLS, RecurrentConfig, build_recurrent, gru_trace, lstm_trace
from ..models.size import count_parameters
from ..recorder import Recorder
from ..trainer import Trainer

SOLVED_ACCURACY = 0.95  # validation accuracy that counts as "solved"
BPTT_PROBE = 64  # validation sequences on which ∂L/∂x_t is measured
LOG10_FLOOR = -16.0  # log₁₀ of a ratio that is 0 (or not finite) is shown at this floor


@dataclass(frozen=True)
class MemoryTask:
    """Recall the first symbol after ``distractors`` steps of noise."""

    distractors: int = 40  # T: distractor steps between the symbol and the question
    symbols: int = 4  # K symbols to remember (chance = 1/K); distractors use K other symbols
    n_train: int = 2000  # training sequences
    n_val: int = 128  # validation sequences
    seed: int = 0  # the same seed gives the same sequences

    def __post_init__(self) -> None:
        check_range("number of distractor steps T", self.distractors, 1, 500)
        check_range("number of symbols", self.symbols, 2, 32)
        check_range("number of training sequences", self.n_train, 10, 100_000)
        check_range("number of validation sequences", self.n_val, 1, 100_000)

    @property
    def chance(self) -> float:
        return 1.0 / self.symbols


def memory_sequences(task: MemoryTask, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences (n, T + 1, 2K) one-hot, and their first symbols (n,).

    Step 0 holds a symbol in 0..K−1, steps 1..T distractors in K..2K−1."""
    k = task.symbols
    first = torch.randint(0, k, (n,), generator=generator)  # (n,)
    noise = torch.randint(k, 2 * k, (n, task.distractors), generator=generator)  # (n, T)
    tokens = torch.cat([first[:, None], noise], dim=1)  # (n, T + 1)
    return F.one_hot(tokens, 2 * k).float(), first


def memory_task(task: MemoryTask) -> Dataset:
    """The training and validation sequences of ``task`` (seeded)."""
    g = torch.Generator().manual_seed(task.seed)
    x_train, y_train = memory_sequences(task, task.n_train, g)
    x_val, y_val = memory_sequences(task, task.n_val, g)
    return Dataset(x_train, y_train, x_val, y_val, 2 * task.symbols, task.symbols, "memory")


# ------------------------------------------------------------------ backpropagation through time
def input_gradient_norms(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """‖∂L/∂x_t‖ for every step t (over the batch and the features), L the mean cross-entropy
    of ``x`` (batch, time, features) against ``y``. Returns (time,) float64. The model's
    parameter gradients are left as they were."""
    saved = [p.grad for p in model.parameters()]
    x = x.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)  # (batch, time, features)
    for p, g in zip(model.parameters(), saved):
        p.grad = g
    return torch.linalg.vector_norm(grad.double(), dim=(0, 2)).cpu().numpy()


def bptt_ratio(norms: np.ndarray) -> np.ndarray:
    """‖∂L/∂x_t‖ / ‖∂L/∂x_T‖: how much of the last step's gradient reaches step t (1 at t = T)."""
    norms = np.asarray(norms, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return norms / norms[-1]


def safe_log10(values: np.ndarray) -> np.ndarray:
    """log₁₀ for a log-scale picture: 0, NaN and inf become ``LOG10_FLOOR``."""
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, LOG10_FLOOR)
    ok = np.isfinite(v) & (v > 0)
    out[ok] = np.maximum(np.log10(v[ok]), LOG10_FLOOR)
    return out


@dataclass(frozen=True)
class BPTTMap:
    """log₁₀(‖∂L/∂x_t‖ / ‖∂L/∂x_T‖) at every recorded step: the time × step picture."""

    steps: np.ndarray  # (n_records,) int64
    log10_ratio: np.ndarray  # (n_records, time) float32, zeros and non-finite at LOG10_FLOOR


class RecurrentTrainer(Trainer):
    """A recurrent network on the memory task, through the shared ``Trainer``, that also records
    ‖∂L/∂x_t‖ at every recorded step and the CPU time of its plain (unrecorded) steps.

    Args:
        task, model, train: the three configs of the run.
        device: where to train (default: ``pick_device()``).
        dataset: the task's sequences, to share tensors between runs with the same task.
    """

    def __init__(self, task: MemoryTask, model: RecurrentConfig, train: TrainConfig,
                 device: torch.device | str | None = None, dataset: Dataset | None = None):
        self.task_cfg, self.model_cfg = task, model
        ds = dataset or memory_task(task)
        net = Recipe(build_recurrent, (ds.n_features, ds.n_classes, model), {"seed": train.seed}).build()
        self.grad_norms: list[np.ndarray] = []  # ‖∂L/∂x_t‖ (time,) at each record
        self.step_seconds: list[float] = []  # CPU seconds of each unrecorded step
        super().__init__(net, ds, train, layers=net.layers(), loss="cross_entropy", device=device)
        self._measure_bptt()

    def train_step(self) -> float:
        records = len(self.recorder.records)
        start = time.process_time()
        loss = super().train_step()
        if len(self.recorder.records) > records:
            self._measure_bptt()
        elif not self.done:
            self.step_seconds.append(time.process_time() - start)
        return loss

    def _measure_bptt(self) -> None:
        ds = self.dataset
        self.grad_norms.append(input_gradient_norms(self.model, ds.x_val[:BPTT_PROBE], ds.y_val[:BPTT_PROBE]))

    @property
    def ms_per_step(self) -> float:
        """Median CPU milliseconds of one training step (forward + backward + update), NaN before any."""
        return 1000 * statistics.median(self.step_seconds) if self.step_seconds else float("nan")

    def bptt_map(self) -> BPTTMap:
        ratios = np.stack([bptt_ratio(n) for n in self.grad_norms])  # (n_records, time)
        steps = self.recorder.steps()[: len(ratios)]
        return BPTTMap(steps, safe_log10(ratios).astype(np.float32))

    def ratio_at(self, which: int) -> np.ndarray:
        """The BPTT ratio profile (time,) of record ``which`` (0 = initialization, −1 = latest)."""
        return bptt_ratio(self.grad_norms[which])


# ------------------------------------------------------------------ comparisons and results
@dataclass(frozen=True)
class CellComparison:
    """The same task, seed and batches for each cell; only the cell differs."""

    task: MemoryTask
    model: RecurrentConfig  # hidden size, forget-gate bias (LSTM), recurrent scale; ``cell`` is overridden
    train: TrainConfig
    cells: tuple[str, ...] = CELLS

    def __post_init__(self) -> None:
        check(len(self.cells) > 0, "pick at least one cell to train")
        for cell in self.cells:
            replace(self.model, cell=cell)  # each cell's config is checked

    def trainers(self, device: torch.device | str | None = None) -> dict[str, RecurrentTrainer]:
        ds = memory_task(self.task)
        return {label(cell, self.model): RecurrentTrainer(self.task, replace(self.model, cell=cell), self.train,
                                                          device=device, dataset=ds)
                for cell in self.cells}


def label(cell: str, model: RecurrentConfig) -> str:
    """The run's name on the page: "RNN", "LSTM (forget bias 3)", "GRU"."""
    if cell == "lstm":
        return f"LSTM (forget bias {model.forget_bias:g})"
    return CELL_LABELS[cell]


def solved_at(recorder: Recorder, level: float = SOLVED_ACCURACY) -> int | None:
    """The first recorded step whose validation accuracy reaches ``level``; None if none did."""
    for record in recorder.records:
        if record.val_acc >= level:
            return record.step
    return None


@dataclass(frozen=True)
class CellSummary:
    """One run, in a row of the page's table."""

    label: str
    parameters: int
    ms_per_step: float
    solved_at: int | None
    val_acc: float
    status: str


def summary(trainers: dict[str, RecurrentTrainer]) -> list[CellSummary]:
    return [CellSummary(name, count_parameters(t.model), t.ms_per_step, solved_at(t.recorder),
                        t.recorder.records[-1].val_acc, t.status) for name, t in trainers.items()]


# ------------------------------------------------------------------ inside the cells
@torch.no_grad()
def inside(trainer: RecurrentTrainer, example: int = 0) -> dict[str, np.ndarray] | None:
    """The gates and states of validation sequence ``example`` in the run's current network,
    each (time, hidden) float32: LSTM input/forget/output gates, cell state and hidden state;
    GRU reset/update gates and hidden state. None for the vanilla RNN (it has no gates)."""
    cell = trainer.model_cfg.cell
    if cell == "rnn":
        return None
    check_range("example", example, 0, len(trainer.dataset.y_val) - 1)
    x = trainer.dataset.x_val[example : example + 1]  # (1, time, features)
    module = trainer.model.cell
    trace = lstm_trace(module, x) if cell == "lstm" else gru_trace(module, x)
    return {k: v[0].cpu().numpy().astype(np.float32) for k, v in trace.items()}


# ------------------------------------------------------------------ presets
DEFAULT_TASK = MemoryTask()
DEFAULT_MODEL = RecurrentConfig(hidden=32, forget_bias=3.0)
DEFAULT_TRAIN = TrainConfig(optimizer="adam", lr=0.003, batch_size=32, steps=150, record_every=10)
MEMORY = CellComparison(DEFAULT_TASK, DEFAULT_MODEL, DEFAULT_TRAIN)


def default_experiment(device) -> dict:
    trainers = MEMORY.trainers(device)
    for t in trainers.values():
        t.run()
    return trainers


# The exploding demo: a ReLU RNN whose recurrent weights start 3× PyTorch's default. Nothing bounds
# its state: the signal grows step after step (the first loss is ~10⁶) and so does the gradient on
# its way back (‖∂L/∂x_0‖ ≈ 10⁷ × ‖∂L/∂x_T‖). One plain SGD step of that size throws the weights
# out of range and the next loss is NaN. Clipping the gradient's global norm to 1 bounds the step,
# and the same run trains on (it does not learn the task: clipping fixes the step, not the memory).
EXPLODING_MODEL = RecurrentConfig(cell="rnn", nonlinearity="relu", recurrent_scale=3.0)
EXPLODING_TRAIN = replace(DEFAULT_TRAIN, optimizer="sgd", lr=0.1)
