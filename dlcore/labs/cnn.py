"""Convolutional networks: a CNN and an MLP trained side by side on the 8×8 digits, then tested
on shifted digits; equivariance, receptive fields, weight sharing — returned as data.

A convolution slides one small filter over every position of the image:

    z[c, i, j] = b_c + Σ_{c', u, v} w[c, c', u, v] · x[c', i·s + u − p, j·s + v − p]

The same weights at every position (*weight sharing*) make it **translation equivariant**: shift the
input and the feature maps shift with it, ``conv(shift x) = shift(conv x)``. Exactly so with a circular
shift and circular padding; with zero padding and a zero-filled shift, exactly so at every position whose
receptive field touches neither the padding nor the strip the shift filled in (and at stride 1; a stride
s only commutes with shifts that are multiples of s). A global average pool over positions then makes the
features the classifier reads **invariant** (up to those borders); a flatten head gives every position its
own weights and is not invariant at all — and neither is an MLP.

Pixels: the digits from ``dlcore.data.load`` come centred pixel by pixel (the training mean image is
subtracted), which is not shift-equivariant preprocessing (a shifted digit would no longer line up with
the subtracted mean image). The lab undoes that exactly (``raw_pixels``) and divides the raw pixels by one
number, their standard deviation over the training set: background stays 0 — the value a shift fills in
and the padding adds — and a shifted digit is the same after preprocessing as before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from .. import data as data_mod
from ..checks import check, check_range
from ..config import DataConfig, ModelConfig, TrainConfig, stable_hash
from ..derived import derived
from ..experiments import run_all
from ..export import Recipe
from ..models import build
from ..models.cnn import CNN, CNNConfig, build_cnn, output_size
from ..models.size import count_parameters
from ..recorder import Layer
from ..trainer import Trainer

SIDE = 8  # the digits are 8×8
MARGIN = 3  # blank pixels around each digit: a shift of up to MARGIN pixels loses no ink
CANVAS = SIDE + 2 * MARGIN  # 14: the networks see 14×14 images
N_DIGITS = 1797  # all of them: the split of dlcore.data.load with n_samples = 1797
VAL_FRACTION = 0.3  # 539 validation digits, 1,258 training digits at most
N_VAL = round(VAL_FRACTION * N_DIGITS)  # 539
MAX_TRAIN = N_DIGITS - N_VAL  # 1,258
SHIFTS = (0, 1, 2)  # pixels, tested in each of the four directions
DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0))  # (dy, dx): right, left, down, up


# ------------------------------------------------------------------ the digits as images
def raw_pixels(ds: data_mod.Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """The raw pixels in [0, 1] of a digits split made with ``n_samples = 1797`` (train, val).

    ``load`` subtracts the training mean image μ (a shared change that would make this unnecessary: let
    ``load`` return the raw pixels on request). All digits are used, so the sum of every raw image
    is n_train·μ + (Σ x_val + n_val·μ) = N·μ + Σ x_val, hence μ = (Σ raw − Σ x_val) / N — exactly.
    """
    check(len(ds.y_train) + len(ds.y_val) == N_DIGITS, "raw_pixels needs the split of all 1,797 digits")
    all_raw = torch.from_numpy(data_mod.digits_images()[0].reshape(N_DIGITS, -1)).double()  # (N, 64)
    mean = (all_raw.sum(0) - ds.x_val.double().sum(0)) / N_DIGITS  # (64,) the training mean image
    # The raw pixels are k/16, k = 0…16: rounding to that grid removes the float error of the subtraction,
    # so the background is exactly 0.
    return tuple((torch.round((x.double() + mean) * 16) / 16).float() for x in (ds.x_train, ds.x_val))


def shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Move images (…, h, w) by dy rows down and dx columns right; zeros (background) come in at the
    border, and what crosses the opposite border is lost."""
    h, w = x.shape[-2:]
    out = torch.zeros_like(x)
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = x[..., ys, xs]
    return out


def roll(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """A circular shift: what leaves one border comes back at the other."""
    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))


def augment_with_shifts(x: torch.Tensor, y: torch.Tensor, copies: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The images plus ``copies`` shifted copies of each, every copy moved by a random dy, dx in
    {−2, …, 2} (seeded): a static shift augmentation that any trainer can use."""
    g = torch.Generator().manual_seed(seed)
    xs, ys = [x], [y]
    for _ in range(copies):
        moves = torch.randint(-2, 3, (len(x), 2), generator=g)  # (n, 2)
        moved = torch.empty_like(x)
        for dy, dx in {tuple(m) for m in moves.tolist()}:  # all images with the same move at once
            rows = (moves[:, 0] == dy) & (moves[:, 1] == dx)
            moved[rows] = shift(x[rows], dy, dx)
        xs.append(moved)
        ys.append(y)
    return torch.cat(xs), torch.cat(ys)


def on_canvas(x: torch.Tensor) -> torch.Tensor:
    """8×8 digits (n, 1, 8, 8) in the middle of a blank 14×14 canvas (n, 1, 14, 14)."""
    return torch.nn.functional.pad(x, (MARGIN,) * 4)


@dataclass(frozen=True)
class DigitsSetup:
    """Which digits the two networks see."""

    n_train: int = 500  # training digits (of 1,258); the 539 validation digits are always the same for a seed
    augment: bool = False  # add 2 randomly shifted copies (±2 pixels) of every training digit
    seed: int = 0  # the split and the augmentation's shifts

    def __post_init__(self) -> None:
        check_range("training digits", self.n_train, 20, MAX_TRAIN)


def digit_images(setup: DigitsSetup) -> data_mod.Dataset:
    """The digits as (n, 1, 14, 14) images: raw pixels divided by their training std (background 0), each
    8×8 digit in the middle of a blank canvas."""
    ds = data_mod.load(DataConfig(name="digits", n_samples=N_DIGITS, val_fraction=VAL_FRACTION, seed=setup.seed))
    x_train, x_val = raw_pixels(ds)  # (n, 64) in [0, 1]
    x_train, y_train = x_train[: setup.n_train], ds.y_train[: setup.n_train]
    scale = x_train.std()
    x_train, x_val = (on_canvas(x.reshape(-1, 1, SIDE, SIDE) / scale) for x in (x_train, x_val))  # (n, 1, 14, 14)
    if setup.augment:
        x_train, y_train = augment_with_shifts(x_train, y_train, copies=2, seed=setup.seed)
    return data_mod.Dataset(x_train, y_train, x_val, ds.y_val, CANVAS * CANVAS, 10, "digits")


# ------------------------------------------------------------------ the two networks
class FlatMLP(nn.Module):
    """The MLP of ``dlcore.models`` reading an image as 64 numbers: each pixel position has its own weights."""

    def __init__(self, cfg: ModelConfig, seed: int):
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # nn.Linear's default init draws from the global RNG: keep it
            self.mlp = build(CANVAS * CANVAS, 10, cfg, seed=seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x.flatten(1))  # (batch, 144) -> (batch, 10)

    def layers(self) -> list[Layer]:
        return self.mlp.layers()


@dataclass(frozen=True)
class CNNExperiment:
    """The side-by-side run: the same digits, seed and mini-batches for both networks."""

    cnn: CNNConfig = CNNConfig(image=CANVAS)
    mlp: ModelConfig = ModelConfig(depth=1, width=64)  # 196 → 64 → 10: 13,258 weights
    train: TrainConfig = TrainConfig(optimizer="adam", lr=0.03, batch_size=32, steps=300, record_every=10)
    digits: DigitsSetup = DigitsSetup()

    def config_hash(self) -> str:
        return stable_hash(self.cnn, self.mlp, self.train, self.digits)

    def trainers(self, device=None) -> dict[str, Trainer]:
        """{"MLP": …, "CNN": …}: fresh trainers on the same data, seed and batch order."""
        ds = digit_images(self.digits)
        mlp = Recipe(FlatMLP, (self.mlp,), {"seed": self.train.seed}).build()
        cnn = Recipe(build_cnn, (self.cnn,), {"seed": self.train.seed}).build()
        return {
            "MLP": Trainer(mlp, ds, self.train, layers=mlp.layers(), device=device),
            "CNN": Trainer(cnn, ds, self.train, layers=cnn.layers(), device=device),
        }


def experiment(channels=8, depth=2, kernel=3, padding="same", stride=1, head="gap", bias=False, n_train=500,
               augment=False, lr=0.03, steps=300, seed=0) -> CNNExperiment:
    """The page's experiment from its controls (each config checks its own values)."""
    base = CNNExperiment()
    return CNNExperiment(
        cnn=CNNConfig(channels=channels, depth=depth, kernel=kernel, padding=padding, stride=stride, head=head,
                      bias=bias, image=CANVAS),
        mlp=base.mlp,
        train=replace(base.train, lr=lr, steps=steps, seed=seed),
        digits=DigitsSetup(n_train=n_train, augment=augment, seed=seed),
    )


# ------------------------------------------------------------------ shifted test digits
def shift_accuracy(trainer: Trainer) -> dict[int, float]:
    """Validation accuracy with every digit moved by s pixels (``SHIFTS``), averaged over the four
    directions. Measured once per step of a run (``Stepwise.memo``): the followers of a shared run,
    and every later view of a finished one, read the numbers its first reader measured."""
    return trainer.memo(("shift_accuracy",), lambda: _shift_accuracy(trainer))


@torch.no_grad()
def _shift_accuracy(trainer: Trainer) -> dict[int, float]:
    batch, moves = derived(trainer.dataset.x_val, "cnn.shifted", _shifted)  # built once per validation set
    y = trainer.dataset.y_val.cpu()
    right = (_labels(trainer, batch) == y.repeat(len(moves))).float().view(len(moves), -1).mean(1).tolist()
    return {s: float(np.mean([r for r, (m, _, _) in zip(right, moves) if m == s])) for s in SHIFTS}


def _shifted(x_val: torch.Tensor) -> tuple[torch.Tensor, list[tuple[int, int, int]]]:
    """The validation digits moved by every shift in every direction, stacked into one batch, and
    the (s, dy, dx) of each copy in order."""
    moves = [(s, dy, dx) for s in SHIFTS for dy, dx in (DIRECTIONS if s else ((0, 0),))]
    x = x_val.cpu()
    return torch.cat([shift(x, dy * s, dx * s) for s, dy, dx in moves]), moves


EVAL_CHUNK = 256  # images per forward pass when measuring (see _labels)


def _labels(trainer: Trainer, x: torch.Tensor) -> torch.Tensor:
    """The predicted class of each image, ``EVAL_CHUNK`` images at a time. A CNN's feature maps take 3 MB
    per 256 digits: in passes of 539 or more they are large blocks that the C allocator may hand
    back to the system after each pass and take again (page faults: 52,000 and 109 ms of CPU per
    measurement, against 19 ms, unless ``dlcore.device.keep_freed_memory`` is in force); in
    passes of 256 they stay small enough to be reused either way."""
    return torch.cat([trainer.predict(x[i:i + EVAL_CHUNK]).argmax(1) for i in range(0, len(x), EVAL_CHUNK)])


# ------------------------------------------------------------------ equivariance and invariance
@dataclass(frozen=True)
class Equivariance:
    """conv(shift x) against shift(conv x) for the network's convolutional stack, one image."""

    shift: int  # pixels to the right
    of_shifted: np.ndarray  # (channels, n, n) feature maps of the shifted digit: conv(shift x)
    shifted_maps: np.ndarray  # (channels, n, n) feature maps of the digit, then shifted: shift(conv x)
    difference: np.ndarray  # (n, n) ‖·‖ over channels of their difference, per position
    interior: np.ndarray  # (n, n) bool: positions whose receptive field meets no padding and no filled strip
    interior_error: float  # relative difference on the interior (0 up to float error; NaN if there is none)
    border_error: float  # relative difference on the other positions (NaN if there are none)
    circular_error: float  # the same network with circular padding, under torch.roll: everywhere


def circular_twin(model: CNN) -> CNN:
    """The same convolutional layers (same kernels) with k // 2 circular padding: the image wraps around,
    so there is no border at all."""
    twin = CNN(replace(model.cfg, padding="same", padding_mode="circular"))
    for mine, theirs in zip(twin.blocks, model.blocks):
        mine.load_state_dict(theirs.state_dict())
    return twin.to(next(model.parameters()).device)


def _stack(model: CNN, x: torch.Tensor) -> torch.Tensor:
    """The last feature maps of the convolutional stack, (n, channels, n', n')."""
    return model.features(x)[-1]


def _on_device_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return x.to(next(model.parameters()).device)


def _stack_cpu(model: CNN, x: torch.Tensor) -> torch.Tensor:
    """``_stack`` of CPU images x on the model's own device, back on the CPU. The model is never
    moved: a finished run is shared by many sessions (``ui.results``), so looking inside it only reads."""
    return _stack(model, _on_device_of(model, x)).cpu()


def interior_mask(cfg: CNNConfig, s: int) -> np.ndarray:
    """(n, n) positions of the last feature maps where a shift of ``s`` pixels to the right provably
    commutes with the stack: the receptive field lies inside the image, and (for padded layers) also
    clear of the ``s`` columns the shift filled in. Stride 1 only."""
    n = cfg.sides()[cfg.depth]
    radius = cfg.depth * (cfg.kernel // 2)  # how far a unit looks from its centre
    offset = 0 if cfg.padding == "same" else radius  # valid: output i is centred on input i + radius
    centre = np.arange(n) + offset  # the input pixel each output position is centred on
    inside = (centre - radius >= 0) & (centre + radius <= cfg.image - 1)
    clear = inside & (centre - radius >= s)
    return inside[:, None] & clear[None, :]  # (rows, columns): the shift moves along the columns


@torch.no_grad()
def equivariance(model: CNN, x: torch.Tensor, s: int = 1) -> Equivariance | None:
    """Measure translation equivariance of the convolutional stack on one image x (1, 8, 8), shifted
    ``s`` pixels to the right. None when the stride is not 1 (a shift of one pixel then has no
    counterpart on the coarser output grid: equivariance holds only for shifts that are multiples of it)."""
    cfg = model.cfg
    if cfg.stride != 1:
        return None
    x = x.reshape(1, cfg.in_channels, cfg.image, cfg.image).cpu()
    out_shift = _stack_cpu(model, shift(x, 0, s))[0]  # (channels, n, n)
    base = _stack_cpu(model, x)[0]
    if cfg.padding == "same":
        blank = _stack_cpu(model, torch.zeros_like(x))[0]  # the network's answer to an empty image fills in
        shift_out = shift(base, 0, s) + (shift(torch.ones_like(base), 0, s) == 0) * blank
    else:
        shift_out = shift(base, 0, s)
    diff = (out_shift - shift_out).norm(dim=0)  # (n, n)
    interior = interior_mask(cfg, s)
    scale = float(out_shift.norm()) or 1.0
    mask = torch.from_numpy(interior)
    inner = float(diff[mask].norm()) / scale if mask.any() else float("nan")
    border = float(diff[~mask].norm()) / scale if (~mask).any() else float("nan")
    twin = circular_twin(model)
    circ_a = _stack_cpu(twin, roll(x, 0, s))[0]
    circ_b = roll(_stack_cpu(twin, x)[0], 0, s)
    circular = float((circ_a - circ_b).norm() / circ_a.norm().clamp_min(1e-12))
    return Equivariance(s, out_shift.numpy(), shift_out.numpy(), diff.numpy(), interior, inner, border, circular)


@torch.no_grad()
def invariance(model: nn.Module, x: torch.Tensor, shifts=(1, 2), circular: bool = False) -> dict[int, float]:
    """How much what the classifier reads changes when the images x (n, 1, h, w) move right by s pixels:
    ‖h(shift x) − h(x)‖ / ‖h(x)‖ over the batch. h is the CNN's head input (pooled or flattened feature
    maps) or the MLP's first hidden layer. 0 = invariant. ``circular``: torch.roll and circular padding."""
    x, move = x.cpu(), (roll if circular else shift)
    net = circular_twin(model) if circular and isinstance(model, CNN) else model  # never moved: it may be shared
    if isinstance(net, CNN):
        head_input = net.head_input

        def read(z: torch.Tensor) -> torch.Tensor:
            return head_input(_on_device_of(net, z)).cpu()  # (n, head features)
    else:
        first = net.mlp.blocks[0]

        def read(z: torch.Tensor) -> torch.Tensor:
            return first(_on_device_of(net, z).flatten(1)).cpu()  # (n, width)

    base = read(x)
    return {s: float((read(move(x, 0, s)) - base).norm() / base.norm().clamp_min(1e-12)) for s in shifts}


# ------------------------------------------------------------------ what the network learned
def first_filters(model: CNN) -> np.ndarray:
    """The first layer's filters, (channels, k, k) float32 (input channel 0)."""
    return model.blocks[0].conv.weight.detach()[:, 0].cpu().numpy().astype(np.float32)


@torch.no_grad()
def feature_maps(model: CNN, x: torch.Tensor) -> list[np.ndarray]:
    """The feature maps of one image at every layer: [(channels, n_l, n_l), …] float32, after ReLU."""
    x = x.reshape(1, model.cfg.in_channels, model.cfg.image, model.cfg.image)
    was = model.training
    if was:  # a finished (shared, frozen) run is in eval mode already: never switch its mode
        model.eval()
    maps = [m[0].cpu().numpy().astype(np.float32) for m in model.features(x.to(next(model.parameters()).device))]
    if was:
        model.train()
    return maps


def receptive_field_maps(model: CNN) -> list[np.ndarray]:
    """For each layer, which input pixels the centre unit of channel 0 depends on: |∂unit/∂x| on a
    random image, (image, image) float32 — zero outside the receptive field, by autograd."""
    cfg = model.cfg
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, cfg.in_channels, cfg.image, cfg.image, generator=g, requires_grad=True)
    out = []
    for m in CNN_linearised(model).features(x):  # ReLU replaced by identity: no unit is switched off
        c = m.shape[-1] // 2
        (grad,) = torch.autograd.grad(m[0, :, c, c].sum(), x, retain_graph=True)
        out.append(grad[0].abs().sum(0).numpy().astype(np.float32))
    return out


def CNN_linearised(model: CNN) -> CNN:  # noqa: N802 - a constructor-like helper
    """A copy of ``model`` with identity instead of ReLU and every kernel weight positive, so a zero
    gradient can only mean "outside the receptive field" (never a dead unit or a cancellation)."""
    twin = CNN(model.cfg)
    twin.load_state_dict(model.state_dict())
    with torch.no_grad():
        for block in twin.blocks:
            block.act = nn.Identity()
            block.conv.weight.abs_().add_(1e-3)
    return twin.cpu()


@dataclass(frozen=True)
class LayerSizes:
    """One convolutional layer of the network: sizes by formula and as measured, and weight sharing."""

    name: str
    input_side: int
    output_formula: int  # ⌊(n + 2p − k)/s⌋ + 1
    output_measured: int  # the real layer's output, from a forward pass
    receptive_field: int  # side in input pixels, by r_l = r_{l−1} + (k − 1)·j_{l−1}
    conv_params: int  # the Conv2d's real parameters: c_in·c_out·k² + c_out
    dense_params: int  # a Linear layer mapping the same input to the same output: (c_in·n²)·(c_out·n'²) + c_out·n'²


@torch.no_grad()
def layer_sizes(model: CNN) -> list[LayerSizes]:
    """The live table: each conv layer's output size (formula and measured), receptive field and
    parameter count, against the dense layer that would map the same input to the same output."""
    cfg = model.cfg
    x = torch.zeros(1, cfg.in_channels, cfg.image, cfg.image, device=next(model.parameters()).device)
    rows, n, c_in = [], cfg.image, cfg.in_channels
    for i, (block, rf) in enumerate(zip(model.blocks, cfg.receptive_fields())):
        x = block(x)  # (1, channels, n', n')
        formula = output_size(n, cfg.kernel, cfg.pad, cfg.stride)
        measured = x.shape[-1]
        c_out = block.conv.out_channels
        dense = (c_in * n * n) * (c_out * measured * measured) + c_out * measured * measured
        rows.append(LayerSizes(f"conv {i + 1}", n, formula, measured, rf, count_parameters(block.conv), dense))
        n, c_in = measured, c_out
    return rows


def parameters(trainers: dict[str, Trainer]) -> dict[str, int]:
    return {name: count_parameters(t.model) for name, t in trainers.items()}


def default_experiment(device) -> dict:
    return run_all(CNNExperiment().trainers(device))
