"""A step-wise, resumable trainer for any network: the page decides the pace, the trainer only
takes steps.

    trainer = Trainer(model, dataset, TrainConfig(), layers=model.layers(), loss="cross_entropy")
    while not trainer.done:
        trainer.advance(25)          # 25 optimizer steps (fewer if the run ends)
        draw(trainer.recorder)       # the data measured so far

``MLPTrainer(DataConfig(), ModelConfig(), TrainConfig())`` builds the MLP and its data from
configs and is what most pages train. A ``Trainer`` takes any ``nn.Module`` whose inputs are
``(n, features)``, ``(n, channels, h, w)`` or ``(n, time, features)``, a loss ("cross_entropy"
for classification — logits ``(batch, classes)`` or per position ``(batch, time, classes)`` —
"mse" for regression and reconstruction, or a callable ``loss(output, target)``), and the
layers to instrument, named explicitly (``recorder.Layer``). Runs that need their own step
(backprop's scalar engine, a GAN's two optimizers) subclass ``Stepwise``: the live loop,
Play / Pause / Step, divergence messages and the benchmark work the same for all.

A ``Trainer`` holds everything a run needs (model, optimizer, schedule, batch order, recorder,
step), so a session can keep it, advance it a few steps at a time, pause and single-step.
A run that blows up (NaN/Inf, or a loss 100× its starting value) stops with
``status == "diverged"`` and a message saying at which step, never with an exception.
Same configs and seed ⇒ the same batches, the same masks, the same curves.
"""

from __future__ import annotations

import copy
import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from . import data as data_mod
from .caps import check_parameters
from .config import DataConfig, ModelConfig, TrainConfig
from .device import pick_device
from .export import Recipe, ScriptParts, mlp_script, regenerates, trainer_script
from .layers.dropout import InvertedDropout
from .layers.norms import BATCH_NORMS
from .models import MLP, build
from .models.size import count_parameters
from .recorder import (
    LayerStats,
    Record,
    Recorder,
    as_layers,
    grad_norm_per_layer,
    update_to_weight_ratio,
    weight_norm_per_layer,
    weight_snapshot,
)

DIVERGENCE_FACTOR = 100.0  # a loss this many times its starting value counts as diverged
# At a recorded step the train loss/accuracy and the activation statistics are measured on a
# fixed probe: the first PROBE_SIZE training examples (a random subset: the split shuffles).
PROBE_SIZE = 256


def make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer named by ``cfg.optimizer``."""
    wd = cfg.weight_decay
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, weight_decay=wd)
    if cfg.optimizer in ("momentum", "nesterov"):
        nesterov = cfg.optimizer == "nesterov"
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=nesterov, weight_decay=wd)
    if cfg.optimizer == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg.lr, weight_decay=wd)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, alpha=0.99, weight_decay=wd)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.momentum, 0.999), weight_decay=wd)
    return torch.optim.AdamW(params, lr=cfg.lr, betas=(cfg.momentum, 0.999), weight_decay=wd)


def lr_factor(schedule: str, step: int, total: int) -> float:
    """The multiplier of the base learning rate at ``step`` (0-based) of ``total`` steps.

    - constant: 1
    - step: 1, then 0.1 from 50 % of the run, 0.01 from 75 %
    - cosine: ½(1 + cos(π·t)), t = step/total — from 1 down to 0
    - warmup_cosine: linear from 0 to 1 over the first 10 %, then cosine down to 0
    """
    t = step / max(total, 1)
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        return 1.0 if t < 0.5 else (0.1 if t < 0.75 else 0.01)
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * t))
    if schedule == "warmup_cosine":
        warm = 0.1
        if t < warm:
            return (step + 1) / (warm * total)
        return 0.5 * (1 + math.cos(math.pi * (t - warm) / (1 - warm)))
    raise ValueError(f"unknown learning-rate schedule {schedule!r}")


class BatchOrder:
    """Mini-batch indices, epoch by epoch: a fresh seeded permutation each time one runs out."""

    def __init__(self, n: int, batch_size: int, seed: int):
        self.n, self.batch_size = n, min(batch_size, n)
        self.generator = torch.Generator().manual_seed(seed)
        self._perm = torch.randperm(n, generator=self.generator)
        self._pos = 0

    def peek(self) -> torch.Tensor:
        if self._pos + self.batch_size > self.n:
            self._perm = torch.randperm(self.n, generator=self.generator)
            self._pos = 0
        return self._perm[self._pos : self._pos + self.batch_size]

    def next(self) -> torch.Tensor:
        batch = self.peek()
        self._pos += self.batch_size
        return batch


MEMO_SIZE = 8  # pictures a run keeps per step (Stepwise.memo)
_MEMO_LOCK = threading.Lock()  # Stepwise.memo's bookkeeping (never held while computing)
_COMPUTING: dict[tuple, threading.Event] = {}  # (id(memo), key) -> set when its computation ends


class Stepwise(ABC):
    """What a page needs from a run: steps taken on demand, and whether it is over.

    A subclass sets ``step``, ``status`` (ready -> running -> finished | diverged), ``message``
    and ``train_cfg``, and implements ``train_step``.
    """

    step: int
    status: str
    message: str
    train_cfg: TrainConfig

    @property
    def done(self) -> bool:
        return self.status in ("finished", "diverged")

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    @abstractmethod
    def train_step(self) -> float:
        """One step; returns its loss."""

    def memo(self, key: tuple, compute: Callable[[], object]) -> object:
        """``compute()``, computed once per step of this run: a picture or measurement derived from the
        network (a decision boundary) is the same until the next step, so a finished run, or a
        snapshot, that thirty sessions draw at once is computed once: the others wait for it.
        Bounded: older entries go when it holds more than ``MEMO_SIZE``."""
        cache = self.__dict__.setdefault("_memo", {})
        k = (*key, self.step)
        while True:
            with _MEMO_LOCK:
                if k in cache:
                    return cache[k]
                pending = _COMPUTING.get((id(cache), k))
                mine = pending is None
                if mine:
                    pending = _COMPUTING[id(cache), k] = threading.Event()
            if not mine:
                pending.wait()  # another thread computes it: then read it (or compute, had it failed)
                continue
            try:
                value = compute()
                with _MEMO_LOCK:
                    while len(cache) >= MEMO_SIZE:
                        cache.pop(next(iter(cache)))
                    cache[k] = value
                return value
            finally:
                with _MEMO_LOCK:
                    del _COMPUTING[id(cache), k]
                pending.set()

    def freeze(self) -> None:
        """Make a finished run read-only, so that many sessions can look at it at once
        (``ui.results``); what that takes is the subclass's ``_read_only``."""
        if not self.done:
            raise ValueError("only a finished run can be frozen")
        self._read_only()

    def snapshot(self) -> Stepwise:
        """A read-only copy of the run as it stands, for others to draw while this one trains on
        (``ui.results``: thirty students following one run). It shares the data (training never
        changes it) and copies the rest — network, optimizer, batch order, records — so stepping
        this run never changes the copy, and reading the copy from many threads at once is safe."""
        snap = self._copy()
        snap._read_only()
        return snap

    def trainable_copy(self) -> Stepwise:
        """A copy that trains on from here, independent of this run: of a snapshot, it continues
        exactly as the original does (same batches, same masks, same numbers). A deep copy of a
        parameter leaves its ``.grad`` behind: a run whose gradients carry over from one step to the
        next copies them itself (``DebugTrainer`` for the forgotten ``zero_grad()``)."""
        own = self._copy()
        own._writable()
        return own

    def _copy(self) -> Stepwise:
        memo = {id(part): part for part in self._shared_parts()}
        if "_memo" in self.__dict__:
            memo[id(self._memo)] = {}  # pictures of this step are recomputed by the copy if it needs them
        return copy.deepcopy(self, memo)

    def _shared_parts(self) -> tuple:
        """What a copy shares with this run instead of copying: objects training never changes."""
        return ()

    def _read_only(self) -> None:  # noqa: B027 - a hook: most runs have no mode to fix
        """Make this copy safe for many readers at once (a subclass fixes its network's mode)."""

    def _writable(self) -> None:  # noqa: B027
        """Undo ``_read_only``: this copy trains again."""

    def advance(self, n: int = 1) -> int:
        """Take up to ``n`` steps; stop early at the end of the run or on divergence.
        Returns the number of steps taken."""
        taken = 0
        while taken < n and not self.done:
            self.train_step()
            taken += 1
        return taken

    def run(self):
        """Train to the end (or to divergence) and return self."""
        self.advance(self.train_cfg.steps - self.step)
        return self

    def _diverge(self, reason: str) -> None:
        self.status = "diverged"
        self.message = f"diverged at step {self.step}: {reason}"

    def has_script(self) -> bool:
        """Whether ``script()`` can export this run (cheap: nothing is built)."""
        return False

    def script(self, title: str = "An experiment") -> str | None:
        """A self-contained PyTorch script (torch and numpy only) that trains this run again and
        prints its losses — the same numbers, same seed — or None where the run cannot be exported."""
        return None

    def rows(self) -> list[dict]:
        """The run's recorded numbers, one flat row per recorded step (for a CSV)."""
        return []


LOSSES = ("cross_entropy", "mse")


def per_example_loss(loss: str | Callable, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The loss of each example, ``(n,)``: cross-entropy over the classes (averaged over positions
    for per-position logits ``(n, time, classes)``), mean squared error over the outputs, or a
    callable ``loss(output, target)`` returning ``(n,)``."""
    if callable(loss):
        return loss(output, target)
    if loss == "cross_entropy":
        if output.dim() == 3:  # (n, time, classes) against (n, time)
            return F.cross_entropy(output.transpose(1, 2), target, reduction="none").mean(dim=1)
        return F.cross_entropy(output, target, reduction="none")
    return ((output - target) ** 2).reshape(len(output), -1).mean(dim=1)


def batch_loss(loss: str | Callable, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean loss of a mini-batch (see ``per_example_loss``)."""
    if loss == "cross_entropy" and output.dim() == 2:
        return F.cross_entropy(output, target)  # the common case, without the per-example detour
    if loss == "mse":
        return F.mse_loss(output, target)
    return per_example_loss(loss, output, target).mean()


def per_example_correct(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Accuracy of each example for classification: 1/0, or the share of right positions."""
    right = (output.argmax(dim=-1) == target).float()
    return right.reshape(len(right), -1).mean(dim=1)


class Trainer(Stepwise):
    """One training run of any network, advanced by the caller. See the module docstring.

    Args:
        model: the network, initialised (by its own seeded generator) and on the CPU.
        dataset: tensors ``x_train (n, …)``, ``y_train``, ``x_val``, ``y_val``.
        train: optimizer, learning rate, batch size, steps, clipping, schedule, seed.
        layers: the layers to instrument, in order: ``Layer(name, module, activation)`` or
            ``(name, module[, activation])``. Default: the model's own ``layers()`` if it has one.
        loss: "cross_entropy" (default; accuracy is recorded too), "mse", or a callable
            ``loss(output, target) -> (batch,)`` per-example losses (accuracy then NaN).
        device: where to train (default: ``pick_device()``).
    """

    def __init__(
        self,
        model: nn.Module,
        dataset: data_mod.Dataset,
        train: TrainConfig,
        layers=None,
        loss: str | Callable = "cross_entropy",
        device: torch.device | str | None = None,
    ):
        if not callable(loss) and loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)} or a function; got {loss!r}")
        check_parameters(count_parameters(model))
        self.train_cfg = train
        self.loss = loss
        self.classification = loss == "cross_entropy"
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.dataset = dataset.to(self.device)
        ds = self.dataset
        self.model = model.to(self.device)
        if layers is None:
            layers = model.layers() if hasattr(model, "layers") else []
        self.layers = as_layers(layers)
        self.optimizer = make_optimizer(train, self.model.parameters())
        self.scheduler = None  # a constant rate needs no scheduler (and skips its per-step cost)
        if train.schedule != "constant":
            self.scheduler = torch.optim.lr_scheduler.LambdaLR(
                self.optimizer, lambda s: lr_factor(train.schedule, s, train.steps)
            )
        # Only dropout and BatchNorm behave differently in eval mode; skip the mode switches
        # (a walk over every module) when the model has neither.
        modal = (InvertedDropout, nn.Dropout, *BATCH_NORMS)
        self._has_modes = any(isinstance(m, modal) for m in self.model.modules())
        self._batchnorms = [m for m in self.model.modules() if isinstance(m, BATCH_NORMS)]
        if any(isinstance(m, nn.BatchNorm1d) for m in self._batchnorms) and min(train.batch_size, len(ds.y_train)) < 2:
            raise ValueError("batch size must be at least 2 with BatchNorm: it normalises each feature by the "
                             "mini-batch's mean and variance, and one example has no variance")
        self._params = list(self.model.parameters())
        n_probe = min(PROBE_SIZE, len(ds.y_train))  # training examples evaluated when recording
        self._eval_batch = (
            torch.cat([ds.x_train[:n_probe], ds.x_val]),
            torch.cat([ds.y_train[:n_probe], ds.y_val]),
            n_probe,
        )
        self.batches = BatchOrder(len(ds.y_train), train.batch_size, train.seed)
        self.recorder = Recorder(every=train.record_every)
        self.step = 0
        self.losses: list[float] = []  # mini-batch loss of every step
        self.status = "ready"  # ready -> running -> finished | diverged
        self.message = ""
        self._initial_loss: float | None = None
        self._record_initial()

    def _read_only(self) -> None:
        """The model stays in eval mode (``predict`` no longer switches modes) and its weights need
        no grad."""
        if getattr(self, "_modes_before", None) is not None:
            return  # already read-only
        self._modes_before = (self._has_modes, [p.requires_grad for p in self._params])
        self.model.eval()
        self._has_modes = False  # _set_training becomes a no-op: the mode stays eval
        for p in self._params:
            p.requires_grad_(False)

    def _writable(self) -> None:
        if getattr(self, "_modes_before", None) is None:
            return
        self._has_modes, grads = self._modes_before
        self._modes_before = None
        for p, g in zip(self._params, grads):
            p.requires_grad_(g)
        self.model.train()

    def _shared_parts(self) -> tuple:
        return (self.dataset, *self._eval_batch[:2])

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """The network's output for ``x`` in eval mode, on the CPU."""
        self._set_training(False)
        out = self.model(x.to(self.device))
        self._set_training(True)
        return out.cpu()

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities (n, n_classes) in eval mode, on the CPU."""
        return F.softmax(self.predict(x), dim=-1)

    # ---------------------------------------------------------------- a step
    def train_step(self) -> float:
        """One optimizer step on the next mini-batch. Returns its loss."""
        if self.done:
            return self.losses[-1] if self.losses else float("nan")
        self.status = "running"
        recording = self.recorder.due(self.step + 1)
        idx = self.batches.next()
        loss = self._backward(idx)
        layers = self.layers
        if recording:
            grad_norms = grad_norm_per_layer(layers)
            before = weight_snapshot(layers)
        if self.train_cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(self._params, self.train_cfg.grad_clip)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        self.step += 1
        value = loss.item()
        self.losses.append(value)
        if self._check_divergence(value, weights=self.step >= self.train_cfg.steps):
            return value
        if recording:
            self._record(grad_norms, update_to_weight_ratio(before, layers))
        if self.step >= self.train_cfg.steps:
            self.status = "finished"
            if not self.recorder.records or self.recorder.records[-1].step != self.step:
                self._record(grad_norm_per_layer(layers), [float("nan")] * len(layers))
        return value

    # ---------------------------------------------------------------- export
    def rows(self) -> list[dict]:
        return self.recorder.rows()

    def script_parts(self) -> ScriptParts | None:
        """What the exported script needs beyond the trainer's own loop (``export.ScriptParts``):
        how the network was built (its ``Recipe``, None if unknown: no script) and its loss."""
        recipe = getattr(self.model, "recipe", None)
        if recipe is None or callable(self.loss):
            return None
        return ScriptParts(recipe, f"loss = batch_loss({self.loss!r}, model(x), y)",
                           f"per_example_loss({self.loss!r}, output, y)", roots=(batch_loss, per_example_loss))

    def has_script(self) -> bool:
        return self.script_parts() is not None

    def script(self, title: str = "An experiment") -> str | None:
        parts = self.script_parts()
        return None if parts is None else trainer_script(self, parts, title)

    def _set_training(self, mode: bool) -> None:
        if self._has_modes and self.model.training != mode:
            self.model.train(mode)

    def _backward(self, idx: torch.Tensor) -> torch.Tensor:
        self._set_training(True)
        self.optimizer.zero_grad(set_to_none=True)
        ds = self.dataset
        idx = idx.to(self.device)
        output = self.model(ds.x_train[idx])  # (batch, …)
        loss = self._batch_loss(output, ds.y_train[idx])
        loss.backward()
        return loss

    def _batch_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return batch_loss(self.loss, output, target)

    def _check_divergence(self, loss: float, weights: bool) -> bool:
        """NaN/Inf or a runaway loss ends the run. Weights are checked at the last step only:
        before that, a non-finite weight makes the next step's loss non-finite anyway."""
        if self._initial_loss is None:
            self._initial_loss = loss
        if not math.isfinite(loss):
            reason = f"the loss became {loss}"
        elif loss > DIVERGENCE_FACTOR * max(self._initial_loss, 0.1):
            reason = f"the loss grew from {self._initial_loss:.3g} to {loss:.3g}"
        elif weights and not torch.stack(torch._foreach_norm(self._params)).isfinite().all():
            reason = "a weight became NaN or infinite"
        else:
            return False
        self._diverge(reason)
        return True

    # ------------------------------------------------------------- recording
    def _record_initial(self) -> None:
        """Step 0: the untrained network, with the gradients of the first mini-batch."""
        self._backward(self.batches.peek())
        grads = grad_norm_per_layer(self.layers)
        self.optimizer.zero_grad(set_to_none=True)
        self._record(grads, [float("nan")] * len(self.layers))

    def _capture_with_batch_statistics(self, x: torch.Tensor) -> None:
        """Measure activations as training computes them: BatchNorm normalises with the batch's
        own statistics while training, and its running averages (used in eval mode) lag behind
        for the first few dozen steps. Momentum 0 leaves those running averages untouched."""
        saved = [(bn.training, bn.momentum) for bn in self._batchnorms]
        for bn in self._batchnorms:
            bn.train()
            bn.momentum = 0.0
        try:
            with self.recorder.capture(self.layers):
                self.model(x)
        finally:
            for bn, (mode, momentum) in zip(self._batchnorms, saved):
                bn.train(mode)
                bn.momentum = momentum

    @torch.inference_mode()  # no autograd bookkeeping at all: cheaper than no_grad
    def _record(self, grad_norms: list[float], ratios: list[float]) -> None:
        """Measure the network: one eval-mode forward pass over the training probe and the
        validation set together, with the activation hooks on (they see the probe rows only)."""
        x, y, n_probe = self._eval_batch
        self._set_training(False)
        if self._batchnorms:
            self._capture_with_batch_statistics(x[:n_probe])
            output = self.model(x)  # (n_probe + n_val, …), BatchNorm on running averages
        else:
            with self.recorder.capture(self.layers, rows=n_probe):
                output = self.model(x)  # (n_probe + n_val, …)
        self._set_training(True)
        losses = per_example_loss(self.loss, output, y)  # (n_probe + n_val,)
        correct = per_example_correct(output, y) if self.classification else torch.full_like(losses, float("nan"))
        train_loss, val_loss, train_acc, val_acc = torch.stack(
            [losses[:n_probe].mean(), losses[n_probe:].mean(), correct[:n_probe].mean(), correct[n_probe:].mean()]
        ).tolist()
        acts = iter(self.recorder.take_activations())
        weight_norms = weight_norm_per_layer(self.layers)
        layers = tuple(
            LayerStats(layer.name, grad_norms[i], ratios[i], weight_norms[i],
                       next(acts, None) if layer.activation is not None else None)
            for i, layer in enumerate(self.layers)
        )
        self.recorder.add(Record(self.step, train_loss, val_loss, train_acc, val_acc, layers))


class MLPTrainer(Trainer):
    """The MLP of ``ModelConfig`` on the data of ``DataConfig``, trained with cross-entropy and
    instrumented at every hidden block and the output layer: what most pages train.

    Args:
        data, model, train: the three configs of the run.
        device: where to train (default: ``pick_device()``).
        dataset: the loaded data, to share tensors between runs with the same ``DataConfig``.
    """

    def __init__(
        self,
        data: DataConfig,
        model: ModelConfig,
        train: TrainConfig,
        device: torch.device | str | None = None,
        dataset: data_mod.Dataset | None = None,
    ):
        self.data_cfg, self.model_cfg = data, model
        ds = dataset or data_mod.load(data)
        net: MLP = Recipe(build, (ds.n_features, ds.n_classes, model), {"seed": train.seed}).build()
        super().__init__(net, ds, train, layers=net.layers(), loss="cross_entropy", device=device)

    def script(self, title: str = "An experiment") -> str:
        """The MLP's own script (``export.mlp_script``): the data regenerated from its ``DataConfig``,
        or, for a run on its own data (an upload, random labels), that data embedded."""
        own = None if regenerates(self.data_cfg, self.dataset) else self.dataset
        return mlp_script(self.data_cfg, self.model_cfg, self.train_cfg, title=title, dataset=own)
