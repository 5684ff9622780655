"""Loss functions: what each one charges for an error, and the gradient it sends back.

Regression, for a residual r = prediction − target:

- MSE  ``r²``: the gradient ``2r`` grows with the error, so a few large errors (outliers) dominate.
- MAE  ``|r|``: the gradient is ``sign(r)``, the same size for every error: robust, but not smooth
  at 0 and it never slows down near the minimum.
- Huber (δ) ``½r²`` if ``|r| ≤ δ`` else ``δ|r| − ½δ²``: half of MSE near 0 (gradient r, not
  2r) and a line of slope δ beyond δ (MAE scaled by δ); its gradient is r clipped to [−δ, δ].
  (PyTorch's ``huber_loss``; ``smooth_l1_loss`` is Huber/δ.)

Classification, for a logit z and a label y ∈ {0, 1} with p = σ(z):

- Binary cross-entropy ``−[y log p + (1 − y) log(1 − p)]``: its gradient with respect to z is
  ``p − y``, large exactly when the prediction is confidently wrong.
- MSE on the probability ``(p − y)²``: its gradient ``2(p − y)·p(1 − p)`` carries the sigmoid's
  slope, which vanishes when the prediction is confidently wrong — it learns least where it is
  most wrong.
- Focal loss (Lin et al., 2017) ``−(1 − p_t)^γ log p_t``: cross-entropy scaled down for easy,
  well-classified examples (p_t near 1), so training concentrates on the hard ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check, check_choice, check_range
from ..config import TrainConfig
from ..export import Recipe, stepwise_script
from ..trainer import DIVERGENCE_FACTOR, Stepwise, make_optimizer

REGRESSION_LOSSES = ("mse", "mae", "huber")
LABELS = {"mse": "MSE", "mae": "MAE", "huber": "Huber"}


def regression_loss(name: str, residual: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    """Elementwise loss of ``residual`` = prediction − target."""
    zero = torch.zeros_like(residual)
    if name == "mse":
        return F.mse_loss(residual, zero, reduction="none")
    if name == "mae":
        return F.l1_loss(residual, zero, reduction="none")
    if name == "huber":
        return F.huber_loss(residual, zero, reduction="none", delta=delta)
    raise ValueError(f"loss must be one of {', '.join(REGRESSION_LOSSES)}; got {name!r}")


def curve_and_gradient(name: str, residual: torch.Tensor, delta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss at each residual and its derivative, by autograd."""
    r = residual.detach().clone().requires_grad_(True)
    loss = regression_loss(name, r, delta)
    (grad,) = torch.autograd.grad(loss.sum(), r)
    return loss.detach(), grad


def logit_gradients(z: torch.Tensor, y: float) -> dict[str, torch.Tensor]:
    """∂loss/∂z for a sigmoid output p = σ(z) under cross-entropy and under MSE, by autograd."""
    out = {}
    for name in ("cross-entropy", "MSE on σ(z)"):
        zz = z.detach().clone().requires_grad_(True)
        target = torch.full_like(zz, y)
        if name == "cross-entropy":
            loss = F.binary_cross_entropy_with_logits(zz, target, reduction="sum")
        else:
            loss = ((torch.sigmoid(zz) - target) ** 2).sum()
        (out[name],) = torch.autograd.grad(loss, zz)
    return out


def focal_loss(p_true: torch.Tensor, gamma: float) -> torch.Tensor:
    """−(1 − p_t)^γ · log p_t for the probability p_t given to the true class; γ = 0 is cross-entropy."""
    if gamma < 0:
        raise ValueError(f"focal γ must be ≥ 0, got {gamma:g}")
    return -((1 - p_true) ** gamma) * torch.log(p_true)


def cross_entropy(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """H(p, q) = −Σ p log q (in nats); terms with p = 0 count 0."""
    return -(torch.where(p > 0, p * torch.log(q), torch.zeros_like(p))).sum()


def entropy(p: torch.Tensor) -> torch.Tensor:
    return cross_entropy(p, p)


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(p ‖ q) = Σ p log(p / q) = H(p, q) − H(p) ≥ 0."""
    return cross_entropy(p, q) - entropy(p)


# ---------------------------------------------------------------------- a line fit, live
@dataclass(frozen=True)
class LineData:
    """Points on the line y = slope·x + intercept with small noise, a few of them replaced by outliers."""

    n: int = 40  # points
    slope: float = 1.5
    intercept: float = 0.5
    noise: float = 0.2
    outliers: int = 4  # points thrown far above the line
    outlier_height: float = 8.0
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("number of points", self.n, 5, 1000)
        check(0 <= self.outliers < self.n, f"outliers must be ≥ 0 and fewer than the points, got {self.outliers}")
        check_range("noise", self.noise, 0.0, 5.0)
        check_range("outlier height", self.outlier_height, 0.0, 100.0)

    def make(self) -> tuple[torch.Tensor, torch.Tensor]:
        """x in [0, 2] (n,), y (n,) float32; the outliers are the points with the largest x."""
        rng = np.random.default_rng(self.seed)
        x = np.sort(rng.uniform(0, 2, self.n)).astype(np.float32)
        y = self.slope * x + self.intercept + self.noise * rng.standard_normal(self.n)
        if self.outliers:
            y[-self.outliers:] += self.outlier_height
        return torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))


class LineFit(Stepwise):
    """Fit y ≈ a·x + b by gradient steps on the mean of a regression loss; advanced step-wise.

    Records (step, a, b, loss) after every step; a loss that blows up ends the run as diverged.
    """

    def __init__(self, data: LineData, loss: str, train: TrainConfig, delta: float = 1.0):
        check_choice("loss", loss, REGRESSION_LOSSES)
        check_range("Huber δ", delta, 0.01, 100.0)
        self.data, self.loss_name, self.train_cfg, self.delta = data, loss, train, delta
        self.x, self.y = data.make()
        self.params = torch.zeros(2, requires_grad=True)  # (a, b), both start at 0
        self.optimizer = make_optimizer(train, [self.params])
        self.step, self.status, self.message = 0, "ready", ""
        self.history: list[tuple[int, float, float, float]] = [(0, 0.0, 0.0, self._loss().item())]

    def _loss(self) -> torch.Tensor:
        a, b = self.params
        return regression_loss(self.loss_name, a * self.x + b - self.y, self.delta).mean()

    def train_step(self) -> float:
        if self.done:
            return self.history[-1][3]
        self.status = "running"
        self.optimizer.zero_grad()
        loss = self._loss()
        loss.backward()
        self.optimizer.step()
        self.step += 1
        with torch.no_grad():
            value = self._loss().item()
        a, b = self.params.detach().tolist()
        self.history.append((self.step, a, b, value))
        if not np.isfinite(value) or value > DIVERGENCE_FACTOR * max(self.history[0][3], 1.0):
            self._diverge(f"the loss grew from {self.history[0][3]:.3g} to {value:.3g}")
        elif self.step >= self.train_cfg.steps:
            self.status = "finished"
        return value

    # A run shared by the sessions on one link (``Stepwise.snapshot``, ``freeze``): the points are shared,
    # never copied (training never changes them); a read-only copy's line takes no gradient.
    def _shared_parts(self) -> tuple:
        return (self.x, self.y)

    def _read_only(self) -> None:
        self.params.requires_grad_(False)

    def _writable(self) -> None:
        self.params.requires_grad_(True)

    def has_script(self) -> bool:
        return True

    def script(self, title: str = "An experiment") -> str:
        """This very fit, run by its own code in a script (the loss printed is the one after each step)."""
        return stepwise_script(Recipe(LineFit, (self.data, self.loss_name, self.train_cfg), {"delta": self.delta}),
                               title)

    def rows(self) -> list[dict]:
        """Every step: the slope a, the intercept b and the loss after the update (step 0: the start)."""
        return [{"step": s, "slope": a, "intercept": b, "loss": loss} for s, a, b, loss in self.history]

    @property
    def line(self) -> tuple[float, float]:
        """The current (slope, intercept)."""
        return tuple(self.params.detach().tolist())


def default_experiment(device=None) -> list:
    """Three two-parameter fits: too small for a GPU to help, so they stay on the CPU."""
    return [LineFit(LineData(), name, TrainConfig(optimizer="adam", lr=0.05, steps=300)).run()
            for name in REGRESSION_LOSSES]
