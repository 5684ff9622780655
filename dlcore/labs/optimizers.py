"""Optimizers as the page teaches them: their names, Adam's internal state, learning-rate schedules.

The update rules (g = ∇L, η = learning rate), as ``torch.optim`` implements them:

- SGD:        θ ← θ − η·g
- Momentum:   b ← μ·b + g;            θ ← θ − η·b
  (PyTorch's form: the velocity sums raw gradients and η multiplies it at the end; the
  textbook's v ← μ·v + η·g is the same when η is constant.)
- Nesterov:   b ← μ·b + g;            θ ← θ − η·(g + μ·b)   (the look-ahead, rewritten in θ)
- Adagrad:    G ← G + g²;             θ ← θ − η·g / (√G + ε)   (G sums every squared gradient
  so far, so each coordinate's step only shrinks; Duchi, Hazan & Singer 2011)
- RMSProp:    v ← α·v + (1 − α)·g²;   θ ← θ − η·g / (√v + ε)      (α = 0.99; v starts at 0, as in
  PyTorch, so the first step is η·|g|/√((1 − α)·g²) = 10·η per coordinate; TF1 started v at 1)
- Adam:       m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²
              m̂ = m / (1 − β₁ᵗ);      v̂ = v / (1 − β₂ᵗ);      θ ← θ − η·m̂ / (√v̂ + ε)
- AdamW:      θ ← θ·(1 − η·λ), then the Adam step (PyTorch applies the decay first; decoupled
  decay). Adam's ``weight_decay`` instead adds λ·θ to g, so the decay is divided by √v̂ like any
  gradient.

With m and v started at zero, the early averages are biased towards zero: after one step
m = (1 − β₁)·g and v = (1 − β₂)·g². The corrections undo exactly that, so Adam's first step is
η·g/|g| = η·sign(g) per coordinate; uncorrected it would be η·(1 − β₁)/√(1 − β₂) ≈ 3.16·η
(β₁ = 0.9, β₂ = 0.999).

Loss surfaces (below): 2-D loss surfaces and the paths real ``torch.optim`` optimizers take across them.

A point θ = (x, y) is a 2-element tensor; each step computes f(θ), back-propagates to get
g = ∇f(θ) and lets the optimizer (the same ``torch.optim`` classes that train the networks,
built by ``dlcore.trainer.make_optimizer``) update θ. Nothing is simulated: the path is what
``optimizer.step()`` did.

The surfaces, each showing one difficulty:

- ``quadratic``: f = 0.05·x² + 5·y². Curvatures 0.1 and 10, condition number κ = 100. Plain
  gradient descent is stable only for lr < 2/10 = 0.2 (the steep direction), and at that rate
  the flat direction shrinks by only 1 − 0.1·lr per step: it zig-zags and crawls.
- ``rosenbrock``: f = (1 − x)² + 100·(y − x²)², a curved, narrow valley; minimum at (1, 1).
- ``saddle``: f = x² − y² + y⁴/4. A saddle point at (0, 0) between two minima (0, ±√2), f = −1.
  On the line y = 0 the gradient has no y component, so a start exactly on it never escapes.
- ``himmelblau``: f = (x² + y − 11)² + (x + y² − 7)², four minima with f = 0: which one a run
  reaches depends on the start and on the optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from ..checks import check, check_choice, check_range
from ..config import OPTIMIZER_NAMES, SCHEDULE_NAMES, DataConfig, ModelConfig, TrainConfig
from ..experiments import Comparison, run_all
from ..trainer import lr_factor, make_optimizer

LABELS = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "Adagrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adamw": "AdamW",
}
SCHEDULE_LABELS = {
    "constant": "constant",
    "step": "step (÷10 at 50 %, ÷100 at 75 %)",
    "cosine": "cosine",
    "warmup_cosine": "warm-up (10 %) + cosine",
}


def uncorrected_first_step_factor(beta1: float = 0.9, beta2: float = 0.999) -> float:
    """|Δθ| / η of Adam's first step if m and v were not bias-corrected: (1 − β₁)/√(1 − β₂)."""
    return (1 - beta1) / math.sqrt(1 - beta2)


def adam_effective_steps(optimizer: torch.optim.Optimizer) -> np.ndarray:
    """η·m̂ / (√v̂ + ε) for every parameter an Adam/AdamW optimizer holds, read from its state.

    With the learning rate in force at the last ``step()``, this is the update each weight took
    then (AdamW's decoupled decay left out). The η used is the group's current one: under a
    schedule, that is already the next step's. Returns a flat float64 array (empty before the
    first step).
    """
    out = []
    for group in optimizer.param_groups:
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        for p in group["params"]:
            state = optimizer.state.get(p)
            if not state:
                continue
            t = int(state["step"])
            m_hat = state["exp_avg"] / (1 - b1**t)  # same shape as p
            v_hat = state["exp_avg_sq"] / (1 - b2**t)
            out.append((lr * m_hat / (v_hat.sqrt() + eps)).flatten().double().cpu())
    return torch.cat(out).numpy() if out else np.zeros(0)


def log_histogram(values: np.ndarray, low: float = 1e-8, high: float = 1.0, n_bins: int = 40):
    """Counts of |values| in log-spaced bins from ``low`` to ``high`` (the end bins hold the
    overflow, zeros go to the first). Returns (bin edges (n_bins + 1,), fractions (n_bins,))."""
    edges = np.logspace(math.log10(low), math.log10(high), n_bins + 1)
    a = np.clip(np.abs(values), edges[0], edges[-1])
    counts, _ = np.histogram(a, bins=edges)
    return edges, counts / max(len(values), 1)


def schedule_curve(schedule: str, total: int) -> np.ndarray:
    """The learning-rate factor at each step 0…total−1 (``dlcore.trainer.lr_factor``): (total,)."""
    if schedule not in SCHEDULE_NAMES:
        raise ValueError(f"learning-rate schedule must be one of {', '.join(SCHEDULE_NAMES)}; got {schedule!r}")
    return np.array([lr_factor(schedule, s, total) for s in range(total)])


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    """The learning rate the optimizer will use at its next step (after any schedule)."""
    return float(optimizer.param_groups[0]["lr"])


def variants(lrs: dict[str, float], weight_decay: float = 0.0) -> tuple:
    """``Comparison`` variants, one per optimizer, each with its own learning rate:
    ``(("Adam", (("train.optimizer", "adam"), ("train.lr", 0.003), ("train.weight_decay", 0.0))), …)``."""
    return tuple(
        (LABELS[name], (("train.optimizer", name), ("train.lr", lr), ("train.weight_decay", weight_decay)))
        for name, lr in lrs.items()
    )


# ------------------------------------------------------------------ loss surfaces
# A point this many box-widths away from the plotted box has flown off: the run diverged.
ESCAPE_FACTOR = 10.0


def _quadratic(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 0.05 * x**2 + 5.0 * y**2


def _rosenbrock(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1 - x) ** 2 + 100.0 * (y - x**2) ** 2


def _saddle(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return x**2 - y**2 + 0.25 * y**4


def _himmelblau(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


@dataclass(frozen=True)
class Surface:
    """A function of two variables, the box it is drawn in, and where each optimizer starts."""

    name: str
    label: str
    formula: str
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = field(repr=False)
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    f_min: float  # the lowest value of f (contours are drawn on a log scale of f − f_min)
    start: tuple[float, float]  # the default start point
    lrs: dict[str, float] = field(repr=False)  # a learning rate per optimizer that shows the surface well
    steps: int = 100

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.fn(x, y)

    def contains(self, x: float, y: float) -> bool:
        return self.x_range[0] <= x <= self.x_range[1] and self.y_range[0] <= y <= self.y_range[1]


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface("quadratic", "Ill-conditioned quadratic", "f = 0.05·x² + 5·y²", _quadratic,
                (-4.0, 4.0), (-1.5, 1.5), ((0.0, 0.0),), 0.0, (-3.5, 1.0),
                dict(sgd=0.18, momentum=0.05, nesterov=0.05, adagrad=0.3, rmsprop=0.03, adam=0.1, adamw=0.1)),
        Surface("rosenbrock", "Rosenbrock valley", "f = (1 − x)² + 100·(y − x²)²", _rosenbrock,
                (-2.0, 2.0), (-1.0, 3.0), ((1.0, 1.0),), 0.0, (-1.2, 1.0),
                dict(sgd=0.001, momentum=0.0002, nesterov=0.0002, adagrad=0.5, rmsprop=0.01, adam=0.2, adamw=0.2),
                steps=300),
        Surface("saddle", "Saddle point", "f = x² − y² + y⁴/4", _saddle,
                (-2.0, 2.0), (-2.0, 2.0), ((0.0, math.sqrt(2)), (0.0, -math.sqrt(2))), -1.0, (-1.8, 0.05),
                dict(sgd=0.05, momentum=0.02, nesterov=0.02, adagrad=0.1, rmsprop=0.01, adam=0.05, adamw=0.05)),
        Surface("himmelblau", "Several minima (Himmelblau)", "f = (x² + y − 11)² + (x + y² − 7)²", _himmelblau,
                (-5.0, 5.0), (-5.0, 5.0),
                ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)), 0.0,
                (-0.3, -0.9),
                dict(sgd=0.01, momentum=0.002, nesterov=0.002, adagrad=0.3, rmsprop=0.05, adam=0.1, adamw=0.1)),
    )
}


@dataclass(frozen=True)
class DescentConfig:
    """One optimizer started at (x0, y0) on one surface.

    ``momentum`` is SGD's velocity decay, and β₁ for Adam/AdamW (β₂ = 0.999, RMSProp's α = 0.99),
    exactly as in ``dlcore.trainer.make_optimizer``.
    """

    surface: str = "quadratic"
    optimizer: str = "sgd"  # sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw
    lr: float = 0.1
    x0: float = -3.5
    y0: float = 1.0
    steps: int = 100
    momentum: float = 0.9
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        check_choice("surface", self.surface, tuple(SURFACES))
        check_choice("optimizer", self.optimizer, OPTIMIZER_NAMES)
        s = SURFACES[self.surface]
        check(s.contains(self.x0, self.y0),
               f"the start point must lie inside the plot (x in [{s.x_range[0]:g}, {s.x_range[1]:g}], "
               f"y in [{s.y_range[0]:g}, {s.y_range[1]:g}]); got ({self.x0:g}, {self.y0:g})")
        check_range("steps", self.steps, 1, 2000)
        self.train_config()  # checks the learning rate, momentum and weight decay

    def train_config(self) -> TrainConfig:
        return TrainConfig(optimizer=self.optimizer, lr=self.lr, momentum=self.momentum,
                           weight_decay=self.weight_decay, steps=self.steps)


@dataclass(frozen=True)
class Trajectory:
    """Where a run went. ``points`` (n + 1, 2) includes the start; ``losses`` (n + 1,) is f there."""

    points: np.ndarray
    losses: np.ndarray
    status: str  # finished | diverged
    message: str

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


class Descent:
    """A run on a surface, advanced step by step like ``dlcore.Trainer``.

    θ is float64, so the numbers the page shows are the optimizer's, not rounding noise.
    A run that leaves the box by ``ESCAPE_FACTOR`` box-widths, or whose f becomes NaN/Inf, stops
    with ``status == "diverged"`` and a message; it never raises.
    """

    def __init__(self, cfg: DescentConfig):
        self.cfg = cfg
        self.surface = SURFACES[cfg.surface]
        self.theta = torch.tensor([cfg.x0, cfg.y0], dtype=torch.float64, requires_grad=True)  # (2,)
        self.optimizer = make_optimizer(cfg.train_config(), [self.theta])
        self.points = [(cfg.x0, cfg.y0)]
        self.losses = [self._f().item()]
        self.step = 0
        self.status = "ready"
        self.message = ""

    @property
    def done(self) -> bool:
        return self.status in ("finished", "diverged")

    def _f(self) -> torch.Tensor:
        return self.surface(self.theta[0], self.theta[1])  # () scalar

    def advance(self, n: int = 1) -> int:
        """Take up to ``n`` optimizer steps. Returns how many were taken."""
        taken = 0
        while taken < n and not self.done:
            self.status = "running"
            self.optimizer.zero_grad(set_to_none=True)
            self._f().backward()
            self.optimizer.step()
            self.step += 1
            taken += 1
            x, y = self.theta.detach().tolist()
            loss = self._f().item() if math.isfinite(x) and math.isfinite(y) else float("nan")
            reason = self._escaped(x, y, loss)
            if reason:
                self.status, self.message = "diverged", f"diverged at step {self.step}: {reason}"
                break
            self.points.append((x, y))
            self.losses.append(loss)
            if self.step >= self.cfg.steps:
                self.status = "finished"
        return taken

    def _escaped(self, x: float, y: float, loss: float) -> str:
        if not math.isfinite(loss):
            return "the point became NaN or infinite"
        (x_lo, x_hi), (y_lo, y_hi) = self.surface.x_range, self.surface.y_range
        w, h = x_hi - x_lo, y_hi - y_lo
        if not (x_lo - ESCAPE_FACTOR * w <= x <= x_hi + ESCAPE_FACTOR * w
                and y_lo - ESCAPE_FACTOR * h <= y <= y_hi + ESCAPE_FACTOR * h):
            return f"the point flew off to ({x:.3g}, {y:.3g}), far outside the plot"
        return ""

    def run(self) -> Trajectory:
        self.advance(self.cfg.steps - self.step)
        return self.trajectory()

    def trajectory(self) -> Trajectory:
        return Trajectory(np.array(self.points, dtype=np.float64).reshape(-1, 2), np.array(self.losses),
                          "diverged" if self.status == "diverged" else "finished", self.message)


def descend(cfg: DescentConfig) -> Trajectory:
    """Run one optimizer on one surface to the end (or to divergence)."""
    return Descent(cfg).run()


def race(surface: str, lrs: Mapping[str, float], start: tuple[float, float] | None = None,
         steps: int | None = None, weight_decay: float = 0.0) -> dict[str, Trajectory]:
    """Each optimizer of ``lrs`` (name -> learning rate) from the same start on the same surface."""
    s = SURFACES[surface]
    x0, y0 = start or s.start
    return {name: descend(DescentConfig(surface, name, lr, x0, y0, steps or s.steps, weight_decay=weight_decay))
            for name, lr in lrs.items()}


def steps_to_reach(trajectory: Trajectory, loss: float) -> int | None:
    """The first step at which f ≤ ``loss`` (None if the run never got there)."""
    below = np.nonzero(trajectory.losses <= loss)[0]
    return int(below[0]) if below.size else None


def grid(surface: Surface, n: int = 90) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f on an n × n grid of the surface's box: xs (n,), ys (n,), z (n, n) with z[i, j] = f(xs[j], ys[i])."""
    xs = torch.linspace(*surface.x_range, n, dtype=torch.float64)  # (n,)
    ys = torch.linspace(*surface.y_range, n, dtype=torch.float64)  # (n,)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")  # (n, n) each
    return xs.numpy(), ys.numpy(), surface(xx, yy).numpy()


# ------------------------------------------------------------------- inside Adam, on a surface
@dataclass(frozen=True)
class AdamTrace:
    """Adam's state after each of its first steps, read from ``optimizer.state[θ]``.

    Every array is (steps, 2): one column per coordinate. ``step`` is t = 1, 2, …
    ``m`` / ``v`` are ``exp_avg`` / ``exp_avg_sq``; the hats are bias-corrected:
    m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ). ``delta`` is the update the optimizer really made,
    θ_t − θ_{t−1}; ``uncorrected`` is what it would have been without bias correction,
    −lr·m / (√v + ε).
    """

    step: np.ndarray  # (steps,)
    grad: np.ndarray
    m: np.ndarray
    v: np.ndarray
    m_hat: np.ndarray
    v_hat: np.ndarray
    delta: np.ndarray
    uncorrected: np.ndarray
    lr: float
    betas: tuple[float, float]


def adam_trace(surface: str, lr: float, x0: float, y0: float, steps: int = 30, beta1: float = 0.9) -> AdamTrace:
    """Run the app's Adam (``make_optimizer``: β₂ = 0.999, ε = 1e-8) on a surface and read m, v
    (and their corrections) after each step. β₁ is ``TrainConfig.momentum``."""
    s = SURFACES[surface]
    check_range("learning rate", lr, 0.0, 10.0, low_open=True)
    check_range("steps", steps, 1, 1000)
    theta = torch.tensor([x0, y0], dtype=torch.float64, requires_grad=True)  # (2,)
    opt = make_optimizer(TrainConfig(optimizer="adam", lr=lr, momentum=beta1), [theta])
    betas, eps = opt.param_groups[0]["betas"], opt.param_groups[0]["eps"]
    b1, b2 = betas
    rows: dict[str, list] = {k: [] for k in ("step", "grad", "m", "v", "m_hat", "v_hat", "delta", "uncorrected")}
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        s(theta[0], theta[1]).backward()
        before = theta.detach().clone()
        grad = theta.grad.detach().clone()
        opt.step()
        state = opt.state[theta]
        t = int(state["step"])
        m, v = state["exp_avg"].detach(), state["exp_avg_sq"].detach()  # (2,) each
        rows["step"].append(t)
        rows["grad"].append(grad.numpy())
        rows["m"].append(m.numpy().copy())
        rows["v"].append(v.numpy().copy())
        rows["m_hat"].append((m / (1 - b1**t)).numpy())
        rows["v_hat"].append((v / (1 - b2**t)).numpy())
        rows["delta"].append((theta.detach() - before).numpy())
        rows["uncorrected"].append((-lr * m / (v.sqrt() + eps)).numpy())
        if not torch.isfinite(theta).all():
            break
    arrays = {k: np.array(v_) for k, v_ in rows.items()}
    return AdamTrace(**arrays, lr=lr, betas=betas)


# ------------------------------------------------------------------ the page's default run
# Each optimizer with a learning rate in its own good range (Adam's 0.003 would stall SGD).
OPTIMIZER_LRS = dict(sgd=0.1, momentum=0.01, nesterov=0.01, adagrad=0.03, rmsprop=0.001, adam=0.003, adamw=0.003)
OPTIMIZERS = Comparison(
    DataConfig(name="digits", n_samples=1797),
    ModelConfig(depth=2, width=64),
    TrainConfig(optimizer="adam", lr=0.003, steps=200, batch_size=32),
    variants(OPTIMIZER_LRS),
)


def default_experiment(device) -> tuple:
    """The page's two experiments: every optimizer on the quadratic surface, then on the digits."""
    paths = race("quadratic", SURFACES["quadratic"].lrs)
    return paths, run_all(OPTIMIZERS.trainers(device))


def adagrad_steps(surface: str, lr: float, x0: float, y0: float, steps: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Adagrad (built by ``make_optimizer``) on a surface: each step's |Δθ| per coordinate and the
    accumulated sum of squared gradients G read from ``optimizer.state[θ]["sum"]``, both (steps, 2)."""
    d = Descent(DescentConfig(surface, "adagrad", lr, x0, y0, steps))
    deltas, sums = [], []
    for _ in range(steps):
        before = d.theta.detach().clone()
        if not d.advance(1) or d.status == "diverged":
            break
        deltas.append((d.theta.detach() - before).abs().numpy())
        sums.append(d.optimizer.state[d.theta]["sum"].detach().numpy().copy())
    return np.array(deltas).reshape(-1, 2), np.array(sums).reshape(-1, 2)
