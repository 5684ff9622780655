"""Debugging a training run: deliberately broken runs next to their fixes, and the checks that find them.

Every broken run is the same small MLP on the 8×8 digits, trained by the shared ``Trainer``; one
thing is wrong in each, as it goes wrong in real code:

- unscaled: the pixels come in as bytes (0…255) instead of being scaled and centred;
- lr_high / lr_low: the learning rate is 20× too high / 500× too low;
- softmax_twice: the network ends in a softmax and ``cross_entropy`` applies log-softmax again;
- no_zero_grad: ``optimizer.zero_grad()`` is missing, so every step adds to the old gradients;
- no_eval: the network (with dropout) is measured without ``model.eval()``;
- naive_log: the loss is ``−log(softmax(z))`` written out by hand, which overflows to ∞ and NaN.

The checks: a learning-rate range test (Smith, 2017), over-fitting one batch, a NaN detective
(finite checks and ``torch.autograd.detect_anomaly``), and gradient checking against finite
differences (``torch.autograd.gradcheck``).
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check, check_choice, check_range
from ..config import DataConfig, ModelConfig, TrainConfig
from ..data import Dataset, make_arrays
from ..export import Recipe, ScriptParts
from ..models import InvertedDropout, build
from ..trainer import Trainer, batch_loss, per_example_loss

BUGS = ("unscaled", "lr_high", "lr_low", "softmax_twice", "no_zero_grad", "no_eval", "naive_log")
BUG_LABELS = {
    "unscaled": "unscaled inputs (pixels 0…255)",
    "lr_high": "learning rate too high",
    "lr_low": "learning rate too low",
    "softmax_twice": "softmax applied twice",
    "no_zero_grad": "forgot optimizer.zero_grad()",
    "no_eval": "forgot model.eval()",
    "naive_log": "log(softmax) by hand → NaN",
}
DATA = DataConfig(name="digits", n_samples=800, val_fraction=0.25)
MODEL = ModelConfig(depth=2, width=64)
TRAIN = TrainConfig(optimizer="momentum", lr=0.05, momentum=0.9, batch_size=32, steps=200, record_every=5)
LR_HIGH, LR_LOW = 1.0, 1e-4  # 20× above and 500× below the healthy 0.05
NAN_LR = 0.5  # high enough for logit gaps of hundreds: where log(softmax) by hand gives ∞ and NaN
NO_EVAL_DROPOUT = 0.5  # the no_eval pair: both runs have dropout, only the measurement differs
BYTE_SCALE = 255.0  # the digits' pixels, in [0, 1] after loading, as 8-bit bytes
SOFTMAX_TWICE_FLOOR = math.log(1 + 9 / math.e)  # the lowest loss softmax-twice can reach with 10 classes


@dataclass(frozen=True)
class DebugConfig:
    """One run of the debugging page: which bug (None: the fixed run), and the usual knobs."""

    bug: str | None = None  # one of BUGS, or None for the correct run
    lr: float = TRAIN.lr  # the correct run's learning rate (the lr bugs replace it)
    steps: int = TRAIN.steps  # optimizer steps
    dropout: float = 0.0  # dropout rate of the hidden layers
    seed: int = 0  # data split, initial weights, batches

    def __post_init__(self) -> None:
        if self.bug is not None:
            check_choice("bug", self.bug, BUGS)
        check_range("learning rate", self.lr, 0.0, 10.0, low_open=True)
        check_range("steps", self.steps, 1, 5000)
        check(0.0 <= self.dropout < 1.0, f"dropout must be ≥ 0 and < 1, got {self.dropout:g}")


def digits(seed: int = 0, scaled: bool = True) -> Dataset:
    """The digits as the page trains on them: pixels in [0, 1], centred with the training mean
    (what ``dlcore.data.load`` does); or, with ``scaled=False``, as raw bytes 0…255 — the bug:
    nobody divided by 255 or centred. The split is the same either way."""
    x, y = make_arrays(DATA)  # (1797, 64) in [0, 1], (1797,)
    order = np.random.default_rng(seed + 1).permutation(len(x))[: DATA.n_samples]
    n_val = int(round(DATA.val_fraction * len(order)))
    val, train = order[:n_val], order[n_val:]
    x = x - x[train].mean(axis=0) if scaled else x * BYTE_SCALE
    t = torch.from_numpy
    return Dataset(t(x[train]), t(y[train]), t(x[val]), t(y[val]), x.shape[1], 10, "digits")


class DebugTrainer(Trainer):
    """The shared ``Trainer`` with one bug switched on. Each bug overrides one small piece and
    leaves the rest of the parent's behaviour alone; ``bug=None`` is the plain, correct run."""

    def __init__(self, cfg: DebugConfig, device=None, dataset: Dataset | None = None):
        self.cfg, self.bug = cfg, cfg.bug
        lr = {"lr_high": LR_HIGH, "lr_low": LR_LOW, "naive_log": NAN_LR}.get(cfg.bug, cfg.lr)
        train = replace(TRAIN, lr=lr, steps=cfg.steps, seed=cfg.seed)
        ds = dataset or digits(cfg.seed, scaled=cfg.bug != "unscaled")
        model = replace(MODEL, dropout=cfg.dropout)
        net = Recipe(build, (ds.n_features, ds.n_classes, model), {"seed": cfg.seed}).build()
        super().__init__(net, ds, train, layers=net.layers(), loss="cross_entropy", device=device)

    def _set_training(self, mode: bool) -> None:
        if self.bug == "no_eval":
            mode = True  # the bug: evaluation runs in training mode (dropout still on)
        super()._set_training(mode)

    def _record(self, grad_norms: list[float], ratios: list[float]) -> None:
        if self.bug != "no_eval":
            return super()._record(grad_norms, ratios)
        # Measuring in train mode draws dropout masks; put the generators back afterwards, so the
        # broken run trains exactly like the fixed one and only what is measured differs.
        saved = [(d, d.generator.get_state() if d.generator is not None else None, d.last_mask)
                 for d in self.model.modules() if isinstance(d, InvertedDropout)]
        super()._record(grad_norms, ratios)
        for d, state, mask in saved:
            if state is None:
                d.generator = None
            else:
                d.generator.set_state(state)
            d.last_mask = mask

    def _backward(self, idx: torch.Tensor) -> torch.Tensor:
        if self.bug != "no_zero_grad":
            return super()._backward(idx)
        self._set_training(True)  # the bug: no optimizer.zero_grad(), gradients pile up
        ds = self.dataset
        loss = self._batch_loss(self.model(ds.x_train[idx]), ds.y_train[idx])
        loss.backward()
        return loss

    def _batch_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return debug_loss(self.bug, output, target)

    def _copy(self) -> DebugTrainer:
        """Without ``zero_grad`` the gradients piled up so far are part of the run, and a deep copy of a
        parameter leaves its ``.grad`` behind: the copy gets them too, so a snapshot's trainable copy
        continues exactly as the run does (``Stepwise.trainable_copy``)."""
        own = super()._copy()
        if self.bug == "no_zero_grad":
            for mine, theirs in zip(self._params, own._params):
                theirs.grad = None if mine.grad is None else mine.grad.clone()
        return own

    def script_parts(self) -> ScriptParts:
        """The script has the same bug: its loss, no zero_grad, or its measurement in training mode."""
        return replace(super().script_parts(), loss=f"loss = debug_loss({self.bug!r}, model(x), y)",
                       roots=(debug_loss, per_example_loss), zero_grad=self.bug != "no_zero_grad",
                       eval_mode=self.bug != "no_eval")


def debug_loss(bug: str | None, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mini-batch loss of a run with ``bug``: softmax applied before the cross-entropy (which
    applies its own), −log softmax written out by hand, or (any other bug, or none) cross-entropy."""
    if bug == "softmax_twice":
        return F.cross_entropy(F.softmax(output, dim=1), target)  # probabilities in, as if logits
    if bug == "naive_log":
        return naive_cross_entropy(output, target)
    return batch_loss("cross_entropy", output, target)


def naive_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """−log softmax(z)_y written out as two steps. Once a probability underflows to 0 in float32
    (a logit gap above ~100), log gives −∞ and its backward pass NaN. ``F.cross_entropy`` computes
    log-softmax as z − logsumexp(z) and never takes the log of a rounded-off 0."""
    probs = F.softmax(logits, dim=1)  # (batch, classes)
    return -torch.log(probs[torch.arange(len(target)), target]).mean()


def pair(bug: str, lr: float = TRAIN.lr, steps: int = TRAIN.steps, seed: int = 0,
         device=None) -> dict[str, DebugTrainer]:
    """The broken run and the fixed one, same seed (same split, initial weights and batches)."""
    dropout = NO_EVAL_DROPOUT if bug == "no_eval" else 0.0
    broken = DebugConfig(bug=bug, lr=lr, steps=steps, dropout=dropout, seed=seed)
    fixed = DebugConfig(bug=None, lr=lr, steps=steps, dropout=dropout, seed=seed)
    return {f"broken: {BUG_LABELS[bug]}": DebugTrainer(broken, device), "fixed": DebugTrainer(fixed, device)}


# ------------------------------------------------------------------ learning-rate range test
@dataclass(frozen=True)
class RangeTest:
    """Loss against learning rate, the rate raised exponentially every step (Smith, 2017)."""

    lrs: np.ndarray  # (steps,) the learning rate of each step
    losses: np.ndarray  # (steps,) that step's mini-batch loss
    smoothed: np.ndarray  # (steps,) exponentially smoothed, bias-corrected
    suggested: float  # a tenth of the rate at the smoothed minimum
    stopped: str  # why the test ended


def lr_range_test(lr_min: float = 1e-4, lr_max: float = 10.0, steps: int = 100, seed: int = 0,
                  beta: float = 0.9, blowup: float = 4.0) -> RangeTest:
    """Train the correct run for ``steps`` steps with lr_i = lr_min·(lr_max/lr_min)^(i/(steps−1)),
    and stop once the smoothed loss exceeds ``blowup`` × its minimum (or turns NaN).

    Suggest a tenth of the rate at the smoothed minimum (the loss falls fastest somewhat below
    the rate where it bottoms out; at the minimum itself it is already about to explode).
    """
    check(0 < lr_min < lr_max, f"the range test needs 0 < lr_min < lr_max, got {lr_min:g} and {lr_max:g}")
    check_range("range-test steps", steps, 10, 2000)
    trainer = DebugTrainer(DebugConfig(steps=steps, seed=seed), device="cpu")
    lrs = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    losses, smoothed, avg, stopped = [], [], 0.0, f"reached lr = {lr_max:g}"
    for i, lr in enumerate(lrs):
        for group in trainer.optimizer.param_groups:
            group["lr"] = float(lr)
        loss = trainer.train_step()
        if not math.isfinite(loss):
            stopped = f"the loss became {loss} at lr = {lr:.3g}"
            break
        avg = beta * avg + (1 - beta) * loss
        losses.append(loss)
        smoothed.append(avg / (1 - beta ** (i + 1)))
        if smoothed[-1] > blowup * min(smoothed) or trainer.done:
            stopped = f"the loss passed {blowup:g}× its minimum at lr = {lr:.3g}"
            break
    smoothed_a = np.array(smoothed, dtype=np.float64)
    best = int(np.argmin(smoothed_a))
    return RangeTest(lrs[:len(losses)], np.array(losses), smoothed_a, float(lrs[best] / 10), stopped)


# ------------------------------------------------------------------ over-fit one batch first
def one_batch(seed: int = 0, size: int = 32) -> Dataset:
    """A training set of a single batch (``size`` digits); every step sees the same examples."""
    ds = digits(seed)
    return replace(ds, x_train=ds.x_train[:size], y_train=ds.y_train[:size])


def overfit_one_batch(steps: int = 150, seed: int = 0) -> dict[str, np.ndarray]:
    """The mini-batch loss of every step, (steps,), of the correct network and of the
    softmax-twice one, each trained on the same single batch of 32 digits."""
    ds = one_batch(seed)
    out = {}
    for label, bug in (("correct", None), ("softmax applied twice", "softmax_twice")):
        trainer = DebugTrainer(DebugConfig(bug=bug, steps=steps, seed=seed), device="cpu", dataset=ds).run()
        out[label] = np.array(trainer.losses, dtype=np.float64)
    return out


# ------------------------------------------------------------------ the NaN detective
@dataclass(frozen=True)
class NaNReport:
    """Where the first non-finite number appeared, found by checking every step."""

    step: int | None  # the step whose loss was not finite (None: it never happened)
    loss: float  # that loss
    largest_logit_gap: float  # max over the batch of (largest − smallest logit) at that step
    anomaly: str  # what torch.autograd.detect_anomaly said about the backward pass
    nonfinite_grads: list[str]  # parameters whose gradient had a NaN or ∞ at that step
    losses: list[float]  # the mini-batch loss of every step taken


def nan_detective(lr: float = NAN_LR, steps: int = 200, seed: int = 0, loss: str = "naive_log") -> NaNReport:
    """Train with ``loss`` ("naive_log", or the stable "cross_entropy") and check the loss after
    every step (a finite check). At the first non-finite one, go back to the weights that step
    started from and replay it: once plainly, to see which gradients came out NaN or ∞, and once
    under ``torch.autograd.detect_anomaly()``, which names the operation whose backward made the NaN."""
    check_choice("loss", loss, ("naive_log", "cross_entropy"))
    bug = "naive_log" if loss == "naive_log" else None
    trainer = DebugTrainer(DebugConfig(bug=bug, steps=steps, seed=seed), device="cpu")
    for group in trainer.optimizer.param_groups:
        group["lr"] = lr  # the same rate for both losses
    model, ds = trainer.model, trainer.dataset
    while not trainer.done:
        idx = trainer.batches.peek()
        state = {k: v.clone() for k, v in model.state_dict().items()}
        value = trainer.train_step()
        if math.isfinite(value):
            continue
        model.load_state_dict(state)  # back to the weights that step started from
        x, y = ds.x_train[idx], ds.y_train[idx]
        model.zero_grad(set_to_none=True)
        logits = model(x)  # (batch, classes)
        gap = float((logits.max(dim=1).values - logits.min(dim=1).values).max().detach())
        trainer._batch_loss(logits, y).backward()
        bad = [name for name, p in model.named_parameters() if p.grad is not None and not p.grad.isfinite().all()]
        model.zero_grad(set_to_none=True)
        message = "no anomaly found"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # detect_anomaly warns and prints the forward trace
            try:
                with torch.autograd.detect_anomaly():
                    trainer._batch_loss(model(x), y).backward()
            except RuntimeError as err:
                message = str(err).splitlines()[0]
        return NaNReport(trainer.step, value, gap, message, bad, trainer.losses)
    return NaNReport(None, trainer.losses[-1], float("nan"), "no anomaly found", [], trainer.losses)


# ------------------------------------------------------------------ gradient checking
class BuggySigmoid(torch.autograd.Function):
    """A sigmoid with a hand-written backward that forgets the factor (1 − σ): the kind of bug
    gradient checking exists to catch."""

    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return grad * s  # should be grad · s · (1 − s)


class GoodSigmoid(torch.autograd.Function):
    """The same sigmoid with the correct backward, dσ/dx = σ(1 − σ)."""

    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return grad * s * (1 - s)


def numerical_gradient(f, x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Central differences (f(x + ε·e_i) − f(x − ε·e_i)) / 2ε of a scalar function, in float64."""
    x = x.detach().double()
    grad = torch.zeros_like(x)
    flat, g = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = f(x).item()
        flat[i] = old - eps
        down = f(x).item()
        flat[i] = old
        g[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, tiny): ~1e-10 for a right gradient in float64, ~1 for a wrong one."""
    return float((a - b).norm() / max(float(a.norm() + b.norm()), 1e-30))


def gradient_check(seed: int = 0) -> dict[str, float]:
    """Relative error between autograd and central differences for three functions of a small
    input (float64): the app's MLP's loss, and a tiny network with the good and the buggy sigmoid."""
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(4, 6, generator=g, dtype=torch.float64), torch.tensor([0, 1, 2, 1])
    mlp = build(6, 3, ModelConfig(depth=2, width=5, activation="tanh"), seed=seed).double()
    w = torch.randn(6, 3, generator=g, dtype=torch.float64)
    out = {}
    functions = {
        "the app's MLP (tanh), loss w.r.t. its input": lambda v: F.cross_entropy(mlp(v), y),
        "sigmoid with the right backward": lambda v: F.cross_entropy(GoodSigmoid.apply(v) @ w, y),
        "sigmoid whose backward forgets (1 − σ)": lambda v: F.cross_entropy(BuggySigmoid.apply(v) @ w, y),
    }
    for name, f in functions.items():
        v = x.clone().requires_grad_(True)
        (analytic,) = torch.autograd.grad(f(v), v)
        out[name] = relative_error(analytic, numerical_gradient(f, x))
    return out


def gradcheck_passes(buggy: bool) -> bool:
    """``torch.autograd.gradcheck`` on the sigmoid: True when autograd matches finite differences."""
    fn = BuggySigmoid.apply if buggy else GoodSigmoid.apply
    x = torch.randn(5, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    return bool(torch.autograd.gradcheck(fn, (x,), raise_exception=False))


# ------------------------------------------------------------------ measuring without eval()
@torch.no_grad()
def eval_vs_train_mode(trainer: Trainer, repeats: int = 5) -> dict[str, list[float]]:
    """Validation accuracy of the same weights measured ``repeats`` times in eval mode and in train
    mode: eval mode gives one number, train mode (dropout on) a different one every time.

    Measured on a private copy of the network: the trainer's own may be a finished run that many
    sessions read at once (``ui.results``), whose mode must not flip under them and whose dropout
    generators must draw nothing. The copy starts from the run's generator state, so the same run
    always measures the same numbers."""
    ds = trainer.dataset
    model = copy.deepcopy(trainer.model)
    out: dict[str, list[float]] = {"eval mode": [], "train mode (forgot eval())": []}
    for label, mode in (("eval mode", False), ("train mode (forgot eval())", True)):
        model.train(mode)
        for _ in range(repeats):
            out[label].append((model(ds.x_val).argmax(1) == ds.y_val).float().mean().item())
    return out


DEFAULT_BUG = "unscaled"


def default_experiment(device) -> dict:
    runs = pair(DEFAULT_BUG, device=device)
    for t in runs.values():
        t.run()
    return {"runs": runs, "range test": lr_range_test(), "one batch": overfit_one_batch(),
            "nan": nan_detective(), "nan, stable loss": nan_detective(loss="cross_entropy"),
            "gradient check": gradient_check()}

