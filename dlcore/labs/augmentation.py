"""Data augmentation: few 8×8 digits, a network that over-fits them, and batches transformed on the fly.

Every training step draws a mini-batch and transforms it with the run's own seeded generators
before the forward pass, so the network never sees exactly the same image twice. Per image:

- shift: move the digit by dx, dy ∈ {−1, 0, +1} pixels (zeros come in at the border);
- rotate: turn it by an angle drawn uniformly in [−15°, +15°] (bilinear interpolation);
- noise: add Gaussian noise, σ = 0.15 (pixels are in [0, 1]);
- cutout (random erasing, DeVries & Taylor 2017): zero a random 3×3 square;

and per batch, mixing two examples and their labels:

- mixup (Zhang et al., 2018): ``x = λ·x_i + (1 − λ)·x_j``, loss ``λ·CE(y_i) + (1 − λ)·CE(y_j)``,
  λ ~ Beta(0.4, 0.4);
- CutMix (Yun et al., 2019): paste a box of x_j into x_i; λ = the share of x_i left.

Label smoothing (Szegedy et al., 2016) is trained here too: the target puts 1 − ε + ε/K on the
true class and ε/K on each of the K classes, so the network stops pushing logits to infinity;
its effect shows in confidence (mean max-probability) and calibration (expected calibration error).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check, check_choice, check_range
from ..config import ModelConfig, TrainConfig, stable_hash
from ..data import Dataset, digits_images
from ..derived import derived
from ..export import Recipe, ScriptParts
from ..models import build
from ..trainer import Trainer, per_example_loss

SIDE = 8  # the digits are 8×8
AUGMENTATIONS = ("none", "shift", "rotate", "noise", "cutout", "mixup", "cutmix", "smoothing")
LABELS = {"none": "no augmentation", "shift": "shift ±1 px", "rotate": "rotate ±15°", "noise": "Gaussian noise",
          "cutout": "cutout 3×3", "mixup": "mixup", "cutmix": "CutMix", "smoothing": "label smoothing"}
MAX_ANGLE = 15.0  # degrees
NOISE_STD = 0.15
CUTOUT_SIDE = 3
MIXUP_ALPHA = 0.4
SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))  # (dy, dx): the four one-pixel shifts of the shifted test
N_BINS = 10  # reliability diagram / ECE bins


@dataclass(frozen=True)
class AugmentConfig:
    """Few digits, a wide network, many steps: built to over-fit, then one augmentation."""

    augmentation: str = "none"  # none, shift, rotate, noise, cutout, mixup, cutmix, smoothing
    n_train: int = 100  # training images (drawn at random from the 1,797 digits)
    n_val: int = 500  # validation images (the same for every n_train and augmentation)
    smoothing: float = 0.1  # ε of label smoothing (used by "smoothing" only)
    width: int = 128  # units per hidden layer (2 hidden ReLU layers)
    seed: int = 0  # which images, initial weights, batch order and augmentation draws

    def __post_init__(self) -> None:
        check_choice("augmentation", self.augmentation, AUGMENTATIONS)
        check_range("number of training images", self.n_train, 10, 1000)
        check_range("number of validation images", self.n_val, 50, 700)
        check_range("label smoothing ε", self.smoothing, 0.0, 0.9)
        check_range("width", self.width, 4, 1024)


def digits_split(n_train: int, n_val: int, seed: int) -> Dataset:
    """``n_train`` and ``n_val`` digit images, flat (n, 64) in [0, 1], not centred (a shifted
    digit must stay a digit). The validation images depend on the seed only, not on n_train."""
    images, labels = digits_images()  # (1797, 8, 8), (1797,)
    check(n_train + n_val <= len(images), f"training + validation images must be ≤ {len(images)}, "
                                          f"got {n_train} + {n_val}")
    order = np.random.default_rng(seed + 1).permutation(len(images))
    val, train = order[:n_val], order[n_val:n_val + n_train]
    x = torch.from_numpy(images.reshape(len(images), SIDE * SIDE))
    y = torch.from_numpy(labels)
    return Dataset(x[train], y[train], x[val], y[val], SIDE * SIDE, 10, "digits")


# ------------------------------------------------------------------ the transformations
def shift(images: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Move each image (n, 8, 8) by (dy[i], dx[i]) ∈ {−1, 0, 1}² pixels, filling with zeros."""
    padded = F.pad(images, (1, 1, 1, 1))  # (n, 10, 10)
    rows = (torch.arange(SIDE).view(1, SIDE) + 1 - dy.view(-1, 1)).long()  # (n, 8)
    cols = (torch.arange(SIDE).view(1, SIDE) + 1 - dx.view(-1, 1)).long()  # (n, 8)
    n = torch.arange(len(images)).view(-1, 1, 1)
    return padded[n, rows.view(-1, SIDE, 1), cols.view(-1, 1, SIDE)]  # (n, 8, 8)


def shifted_all(images: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Every image moved by the same (dy, dx)."""
    n = len(images)
    return shift(images, torch.full((n,), dy), torch.full((n,), dx))


def rotate(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate each image (n, 8, 8) about its centre by ``degrees[i]``, bilinear, zeros outside."""
    theta = degrees * (math.pi / 180)
    cos, sin, zero = torch.cos(theta), torch.sin(theta), torch.zeros_like(theta)
    affine = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)  # (n, 2, 3)
    grid = F.affine_grid(affine, [len(images), 1, SIDE, SIDE], align_corners=False)
    return F.grid_sample(images.unsqueeze(1), grid, align_corners=False).squeeze(1)  # (n, 8, 8)


def cutout(images: torch.Tensor, top: torch.Tensor, left: torch.Tensor, side: int = CUTOUT_SIDE) -> torch.Tensor:
    """Zero a ``side`` × ``side`` square at (top[i], left[i]) of each image (random erasing)."""
    r = torch.arange(SIDE).view(1, SIDE, 1)
    c = torch.arange(SIDE).view(1, 1, SIDE)
    top, left = top.view(-1, 1, 1), left.view(-1, 1, 1)
    inside = (r >= top) & (r < top + side) & (c >= left) & (c < left + side)  # (n, 8, 8)
    return images.masked_fill(inside, 0.0)


def cutmix_box(lam: float, top: int, left: int) -> tuple[torch.Tensor, float]:
    """The box a CutMix of ratio λ pastes: side round(8·√(1 − λ)), clipped to the image.
    Returns (mask (8, 8) of the pasted pixels, the λ actually left = 1 − pasted share)."""
    side = int(round(SIDE * math.sqrt(1 - lam)))
    mask = torch.zeros(SIDE, SIDE, dtype=torch.bool)
    mask[top:top + side, left:left + side] = True
    return mask, 1.0 - mask.float().mean().item()


@dataclass
class Augmented:
    """One transformed batch: inputs (n, 64), and the loss weights of two label sets."""

    x: torch.Tensor  # (n, 64)
    y: torch.Tensor  # (n,) the images' own labels
    y_mix: torch.Tensor | None = None  # (n,) labels of the images mixed in (mixup, CutMix)
    lam: float = 1.0  # weight of y; 1 − lam goes to y_mix


class Augmenter:
    """Applies one augmentation to batches, drawing from its own seeded generators."""

    def __init__(self, name: str, seed: int = 0):
        check_choice("augmentation", name, AUGMENTATIONS)
        self.name = name
        self.generator = torch.Generator().manual_seed(seed)
        self.rng = np.random.default_rng(seed)  # λ of mixup and CutMix (NumPy has a seeded Beta)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> Augmented:
        """Transform a batch ``x`` (n, 64) with labels ``y`` (n,)."""
        name, g, n = self.name, self.generator, len(x)
        images = x.view(n, SIDE, SIDE)
        if name == "shift":
            d = torch.randint(-1, 2, (2, n), generator=g)
            return Augmented(shift(images, d[0], d[1]).reshape(n, -1), y)
        if name == "rotate":
            angles = (torch.rand(n, generator=g) * 2 - 1) * MAX_ANGLE
            return Augmented(rotate(images, angles).reshape(n, -1), y)
        if name == "noise":
            return Augmented(x + NOISE_STD * torch.randn(x.shape, generator=g), y)
        if name == "cutout":
            corner = torch.randint(0, SIDE - CUTOUT_SIDE + 1, (2, n), generator=g)
            return Augmented(cutout(images, corner[0], corner[1]).reshape(n, -1), y)
        if name in ("mixup", "cutmix"):
            perm = torch.randperm(n, generator=g)
            if name == "mixup":
                lam = float(self.rng.beta(MIXUP_ALPHA, MIXUP_ALPHA))
                return Augmented(lam * x + (1 - lam) * x[perm], y, y[perm], lam)
            top, left = self.rng.integers(0, SIDE, size=2)
            mask, lam = cutmix_box(float(self.rng.uniform()), int(top), int(left))
            mixed = torch.where(mask, images[perm], images)  # (n, 8, 8)
            return Augmented(mixed.reshape(n, -1), y, y[perm], lam)
        return Augmented(x, y)  # none, smoothing: the images are untouched


class AugmentTrainer(Trainer):
    """A ``Trainer`` whose every mini-batch is transformed before the forward pass.

    Only ``_backward`` differs from the parent: the batch goes through the ``Augmenter`` and the
    loss mixes two label sets where mixup or CutMix mixed two images. Evaluation (the recorder's
    train/validation loss and accuracy) always sees the clean images.
    """

    def __init__(self, cfg: AugmentConfig, train: TrainConfig, device=None, dataset: Dataset | None = None):
        self.cfg = cfg
        self.augmenter = Augmenter(cfg.augmentation, train.seed)
        self.last_batch: Augmented | None = None
        ds = dataset or digits_split(cfg.n_train, cfg.n_val, cfg.seed)
        net = Recipe(build, (ds.n_features, ds.n_classes, ModelConfig(depth=2, width=cfg.width)),
                     {"seed": train.seed}).build()
        super().__init__(net, ds, train, layers=net.layers(), loss="cross_entropy", device=device)
        self.augmenter = Augmenter(cfg.augmentation, train.seed)  # step 0's measurement drew from it: restart

    @property
    def smoothing(self) -> float:
        return self.cfg.smoothing if self.cfg.augmentation == "smoothing" else 0.0

    def _backward(self, idx: torch.Tensor) -> torch.Tensor:
        self._set_training(True)
        self.optimizer.zero_grad(set_to_none=True)
        ds = self.dataset
        idx = idx.to(self.device)
        batch = self.augmenter(ds.x_train[idx].cpu(), ds.y_train[idx].cpu())
        self.last_batch = batch
        output = self.model(batch.x.to(self.device))  # (batch, 10)
        y_mix = None if batch.y_mix is None else batch.y_mix.to(self.device)
        loss = mixed_cross_entropy(output, batch.y.to(self.device), y_mix, batch.lam, self.smoothing)
        loss.backward()
        return loss

    def script_parts(self) -> ScriptParts:
        """The script transforms each mini-batch with the same ``Augmenter``, drawn afresh after the
        untrained network's measurement as here, and mixes the losses the same way."""
        augmenter = f"augmenter = Augmenter({self.cfg.augmentation!r}, seed={self.train_cfg.seed!r})"
        loss = (f"batch = augmenter(x, y)\n"
                f"loss = mixed_cross_entropy(model(batch.x), batch.y, batch.y_mix, batch.lam, {self.smoothing!r})")
        return replace(super().script_parts(), loss=loss, setup=augmenter, restart=augmenter,
                       roots=(Augmenter, mixed_cross_entropy, per_example_loss))


def mixed_cross_entropy(output: torch.Tensor, y: torch.Tensor, y_mix: torch.Tensor | None = None, lam: float = 1.0,
                        smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy of logits ``output`` (batch, classes) against ``y``, with label smoothing; where
    mixup or CutMix mixed two images, λ·CE(y) + (1 − λ)·CE(y_mix)."""
    loss = F.cross_entropy(output, y, label_smoothing=smoothing)
    if y_mix is not None:
        loss = lam * loss + (1 - lam) * F.cross_entropy(output, y_mix)
    return loss


# ------------------------------------------------------------------ what the runs are judged on
@torch.no_grad()
def accuracy(trainer: Trainer, x: torch.Tensor, y: torch.Tensor) -> float:
    return (trainer.predict(x).argmax(dim=1) == y.cpu()).float().mean().item()


TEST_SETS = ("clean", "shifted 1 px", "rotated 15°", "noisy σ 0.3")


def varied_validation(x_val: torch.Tensor, name: str) -> list[torch.Tensor]:
    """The validation images (n, 64) as the test set ``name`` varies them, one tensor per variant:
    clean; moved one pixel up, down, left, right; turned by −15° and +15°; Gaussian noise σ = 0.3
    (a fixed draw, seed 0)."""
    check_choice("test set", name, TEST_SETS)
    images, n = x_val.cpu().view(-1, SIDE, SIDE), len(x_val)
    if name == "clean":
        return [x_val.cpu()]
    if name == "shifted 1 px":
        return [shifted_all(images, dy, dx).reshape(n, -1) for dy, dx in SHIFTS]
    if name == "rotated 15°":
        return [rotate(images, torch.full((n,), angle)).reshape(n, -1) for angle in (-MAX_ANGLE, MAX_ANGLE)]
    noise = torch.randn(x_val.shape, generator=torch.Generator().manual_seed(0))
    return [x_val.cpu() + 0.3 * noise]


def _stacked(x_val: torch.Tensor) -> tuple[torch.Tensor, dict[str, int]]:
    """Every test set's variants of ``x_val``, stacked into one batch, with how many variants each set has."""
    sets = {name: varied_validation(x_val, name) for name in TEST_SETS}
    return torch.cat([x for xs in sets.values() for x in xs]), {name: len(xs) for name, xs in sets.items()}


def robustness(trainer: Trainer) -> dict[str, float]:
    """Validation accuracy on each test set (averaged over its variants): ``{test set: accuracy}``.
    One forward pass over every variant at once."""
    ds = trainer.dataset
    batch, counts = derived(ds.x_val, "augmentation.test_sets", _stacked)  # built once per validation set
    y = ds.y_val.cpu()
    right = (trainer.predict(batch).argmax(dim=1) == y.repeat(sum(counts.values()))).float()
    per_variant = right.view(-1, len(y)).mean(dim=1).tolist()  # (variants,) accuracy of each varied set
    out, i = {}, 0
    for name, k in counts.items():
        out[name] = float(np.mean(per_variant[i:i + k]))
        i += k
    return out


def shifted_accuracy(trainer: Trainer) -> float:
    """Validation accuracy on the validation digits moved by one pixel, averaged over the four
    directions (up, down, left, right)."""
    ds = trainer.dataset
    return float(np.mean([accuracy(trainer, x, ds.y_val) for x in varied_validation(ds.x_val, "shifted 1 px")]))


@dataclass(frozen=True)
class Calibration:
    """Confidence against accuracy on the validation set, in N_BINS equal-width bins."""

    confidence: np.ndarray  # (n_bins,) mean max-probability of the examples in the bin (NaN if empty)
    accuracy: np.ndarray  # (n_bins,) their accuracy (NaN if empty)
    counts: np.ndarray  # (n_bins,) examples per bin
    mean_confidence: float  # mean max-probability over all examples
    ece: float  # expected calibration error: Σ_b (n_b/n)·|acc_b − conf_b|


def calibration(probs: np.ndarray, labels: np.ndarray, n_bins: int = N_BINS) -> Calibration:
    """Reliability diagram data and ECE (Guo et al., 2017) from class probabilities (n, K)."""
    check(len(probs) > 0, "calibration needs at least one example")
    probs = np.where(np.isfinite(probs), probs, 1.0 / probs.shape[1])  # a diverged run: no opinion
    conf = probs.max(axis=1)
    right = (probs.argmax(axis=1) == labels).astype(np.float64)
    which = np.minimum((conf * n_bins).astype(int), n_bins - 1)  # bin i holds (i/n, (i+1)/n]
    counts = np.bincount(which, minlength=n_bins)
    safe = np.maximum(counts, 1)
    conf_b = np.where(counts > 0, np.bincount(which, conf, n_bins) / safe, np.nan)
    acc_b = np.where(counts > 0, np.bincount(which, right, n_bins) / safe, np.nan)
    ece = float(np.nansum(counts / len(conf) * np.abs(acc_b - conf_b)))
    return Calibration(conf_b, acc_b, counts, float(conf.mean()), ece)


def validation_calibration(trainer: Trainer) -> Calibration:
    ds = trainer.dataset
    return calibration(trainer.predict_proba(ds.x_val).numpy(), ds.y_val.cpu().numpy())


@dataclass(frozen=True)
class Summary:
    """What a finished (or paused) run scores, on the clean and on the shifted validation digits."""

    val_acc: float
    shifted_acc: float
    train_acc: float
    mean_confidence: float
    ece: float


def summarize(trainer: Trainer) -> Summary:
    ds = trainer.dataset
    cal = validation_calibration(trainer)
    return Summary(accuracy(trainer, ds.x_val, ds.y_val), shifted_accuracy(trainer),
                   accuracy(trainer, ds.x_train, ds.y_train), cal.mean_confidence, cal.ece)


def last_batch_images(trainer: AugmentTrainer, n: int = 8) -> np.ndarray:
    """The first ``n`` images of the mini-batch the run trained on last, as the network saw them
    (after augmentation): (n, 8, 8). Runs of one experiment draw the same batches, so the rows of
    a grid show the same digits, each transformed its own way."""
    return trainer.last_batch.x[:n].detach().cpu().view(-1, SIDE, SIDE).numpy()


# ------------------------------------------------------------------ the page's experiment
TRAIN = TrainConfig(optimizer="adam", lr=0.003, batch_size=32, steps=300, record_every=10)
DEFAULT_CHOICES = ("none", "shift", "cutout", "mixup", "smoothing")


def experiment(choices, base: AugmentConfig = AugmentConfig(), train: TrainConfig = TRAIN,
               device=None) -> dict[str, AugmentTrainer]:
    """One run per augmentation in ``choices``, all on the same images, initial weights and batches."""
    ds = digits_split(base.n_train, base.n_val, base.seed)
    return {LABELS[name]: AugmentTrainer(replace(base, augmentation=name), train, device, ds) for name in choices}


def config_hash(choices, base: AugmentConfig, train: TrainConfig) -> str:
    return stable_hash(base, train) + ",".join(choices)


def default_experiment(device) -> dict:
    runs = experiment(DEFAULT_CHOICES, device=device)
    for t in runs.values():
        t.run()
    return {label: summarize(t) for label, t in runs.items()}
