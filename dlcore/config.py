"""Configs of an experiment: what data, which network, how it trains.

Each config is a frozen dataclass: the defaults teach, every field is checked in
``__post_init__`` with a sentence a student understands, and ``stable_hash`` names a result by
value (the same config always hashes the same, across processes and machines).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from .checks import check, check_choice, check_range, check_whole

DATASETS = ("circle", "xor", "gaussians", "spiral", "moons", "digits")
ACTIVATION_NAMES = ("relu", "leaky_relu", "sigmoid", "tanh", "gelu", "identity")
INIT_NAMES = (
    "auto",  # the scheme that fits the activation: He for the ReLU family, Xavier otherwise
    "zeros",
    "small_normal",  # N(0, 0.01²)
    "large_normal",  # N(0, 1)
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
)
NORM_NAMES = ("none", "batch", "layer")
OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULE_NAMES = ("constant", "step", "cosine", "warmup_cosine")


@dataclass(frozen=True)
class DataConfig:
    """Which data set, how noisy, how much of it, and how it is split."""

    name: str = "circle"  # circle, xor, gaussians, spiral, moons (2-D toys) or digits (8×8 images)
    n_samples: int = 600  # points generated (toy sets) or images used (digits, at most 1,797)
    noise: float = 0.1  # toy sets only: std of the Gaussian noise added to each point
    val_fraction: float = 0.3  # share of samples held out for validation
    seed: int = 0  # the same seed gives the same points and the same split

    def __post_init__(self) -> None:
        check_choice("data set", self.name, DATASETS)
        check_whole("number of samples", self.n_samples, 20, 20_000)
        check_range("noise", self.noise, 0.0, 2.0)
        check_range("validation fraction", self.val_fraction, 0.0, 0.9, low_open=True)
        check_whole("seed", self.seed, 0, 2**31 - 1)


@dataclass(frozen=True)
class ModelConfig:
    """A multi-layer perceptron: depth × width hidden units, and what sits in each block.

    A hidden block is ``Linear -> [Norm] -> activation -> [Dropout]``, and with ``residual``
    its input is added back: ``h + block(h)`` (blocks after the first, whose widths match).
    """

    depth: int = 2  # hidden layers
    width: int = 16  # units per hidden layer
    activation: str = "relu"  # relu, leaky_relu, sigmoid, tanh, gelu, identity
    init: str = "auto"  # weight initialization scheme (see dlcore.initialization)
    dropout: float = 0.0  # probability of dropping a hidden unit while training
    norm: str = "none"  # none, batch (BatchNorm) or layer (LayerNorm), before the activation
    residual: bool = False  # skip connections around hidden blocks
    bias_init: float = 0.0  # every hidden bias starts here (a large negative value kills ReLUs)

    def __post_init__(self) -> None:
        check_whole("depth", self.depth, 1, 50)
        check_whole("width", self.width, 1, 1024)
        check_choice("activation", self.activation, ACTIVATION_NAMES)
        check_choice("initialization", self.init, INIT_NAMES)
        check_range("dropout", self.dropout, 0.0, 1.0)
        check(self.dropout < 1.0, f"dropout must be ≥ 0 and < 1, got {self.dropout:g}")
        check_choice("normalization", self.norm, NORM_NAMES)
        check_range("bias init", self.bias_init, -20.0, 20.0)


@dataclass(frozen=True)
class TrainConfig:
    """How the network is trained: optimizer, step size, batches and for how long."""

    optimizer: str = "adam"  # sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw (torch.optim classes)
    lr: float = 0.01  # learning rate
    momentum: float = 0.9  # momentum / nesterov: velocity decay; adam: beta1
    weight_decay: float = 0.0  # L2 penalty (decoupled for adamw)
    batch_size: int = 32  # examples per step; larger than the training set means full batch
    steps: int = 300  # optimizer steps in a run
    grad_clip: float = 0.0  # clip the global gradient norm to this value; 0 = no clipping
    schedule: str = "constant"  # learning-rate schedule over the run
    record_every: int = 10  # the recorder measures the network every this many steps
    seed: int = 0  # initial weights, batch order and dropout masks

    def __post_init__(self) -> None:
        check_choice("optimizer", self.optimizer, OPTIMIZER_NAMES)
        check_range("learning rate", self.lr, 0.0, 10.0, low_open=True)
        check_range("momentum", self.momentum, 0.0, 0.999)
        check(self.optimizer != "nesterov" or self.momentum > 0,
              "momentum must be above 0 for Nesterov: its look-ahead step is taken along the velocity")
        check_range("weight decay", self.weight_decay, 0.0, 1.0)
        check_whole("batch size", self.batch_size, 1, 100_000)
        check_whole("steps", self.steps, 1, 100_000)
        check_range("gradient clipping threshold", self.grad_clip, 0.0, 1e6)
        check_choice("learning-rate schedule", self.schedule, SCHEDULE_NAMES)
        check_whole("record every", self.record_every, 1, 100_000)
        check_whole("seed", self.seed, 0, 2**31 - 1)


def stable_hash(*configs: object) -> str:
    """A short hex digest of the configs' values: equal configs, equal hash, in any process."""
    payload = [{"type": type(c).__name__, **asdict(c)} for c in configs]
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]

