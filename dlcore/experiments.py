"""Experiments the pages run: several trainers that differ in one setting, same seed, same
batches — so any difference in the curves comes from that setting alone.

``DEFAULTS`` maps each page to its default experiment, run to the end; the benchmark times it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import torch

from . import backprop, init_probe, losses, optimizers, surfaces
from . import data as data_mod
from .config import DataConfig, ModelConfig, TrainConfig
from .trainer import Trainer


@dataclass(frozen=True)
class Comparison:
    """A base set of configs and named variants, each a few overrides of it.

    Override keys name the config and the field: ``{"model.activation": "tanh"}``.
    """

    data: DataConfig
    model: ModelConfig
    train: TrainConfig
    variants: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]

    @classmethod
    def over(cls, data, model, train, field: str, values, labels=None) -> Comparison:
        """Variants that set one ``field`` ("model.activation") to each of ``values``."""
        labels = labels or [str(v) for v in values]
        return cls(data, model, train, tuple((lab, ((field, v),)) for lab, v in zip(labels, values)))

    def configs(self) -> dict[str, tuple[DataConfig, ModelConfig, TrainConfig]]:
        out = {}
        for label, overrides in self.variants:
            cfgs = {"data": self.data, "model": self.model, "train": self.train}
            for key, value in overrides:
                part, name = key.split(".")
                cfgs[part] = replace(cfgs[part], **{name: value})
            out[label] = (cfgs["data"], cfgs["model"], cfgs["train"])
        return out

    def trainers(self, device: torch.device | str | None = None) -> dict[str, Trainer]:
        """One fresh trainer per variant; variants that share a data config share its tensors."""
        datasets: dict[DataConfig, data_mod.Dataset] = {}
        out = {}
        for label, (d, m, t) in self.configs().items():
            if d not in datasets:
                datasets[d] = data_mod.load(d)
            out[label] = Trainer(d, m, t, device=device, dataset=datasets[d])
        return out


def run_all(trainers: dict[str, Trainer]) -> dict[str, Trainer]:
    for trainer in trainers.values():
        trainer.run()
    return trainers


# ------------------------------------------------------------------ page defaults
ACTIVATIONS = Comparison.over(
    DataConfig(name="circle", n_samples=600, noise=0.1),
    ModelConfig(depth=3, width=16, init="xavier_normal"),
    TrainConfig(optimizer="adam", lr=0.01, steps=300, batch_size=32),
    "model.activation",
    ("relu", "leaky_relu", "sigmoid", "tanh", "gelu"),
)

MINIBATCH_SIZES = (4, 16, 64, 100_000)  # the last one is larger than any training set: full batch
MINIBATCH = Comparison.over(
    DataConfig(name="spiral", n_samples=600, noise=0.1),
    ModelConfig(depth=2, width=32),
    TrainConfig(optimizer="adam", lr=0.01, steps=300),
    "train.batch_size",
    MINIBATCH_SIZES,
    ["B = 4", "B = 16", "B = 64", "full batch"],
)

NORMALIZATION = Comparison.over(
    DataConfig(name="spiral", n_samples=600, noise=0.1),
    ModelConfig(depth=8, width=32, activation="relu"),
    TrainConfig(optimizer="sgd", lr=1.0, steps=300),
    "model.norm",
    ("none", "batch", "layer"),
    ["no normalization", "BatchNorm", "LayerNorm"],
)

# Ten sigmoid layers trained by plain SGD: the textbook case of vanishing gradients.
VANISHING_GRADIENTS = Comparison(
    DataConfig(name="circle", n_samples=600, noise=0.1),
    ModelConfig(depth=10, width=16, activation="sigmoid", init="auto"),
    TrainConfig(optimizer="sgd", lr=0.1, steps=300, batch_size=32),
    (("your network", ()),),
)

# Overfitting-prone on purpose: 100 noisy training points, 2 × 256 hidden units, trained long.
DROPOUT_RATES = (0.0, 0.2, 0.5)
DROPOUT = Comparison.over(
    DataConfig(name="circle", n_samples=200, noise=0.5, val_fraction=0.5),
    ModelConfig(depth=2, width=256),
    TrainConfig(optimizer="adam", lr=0.01, steps=300, batch_size=32),
    "model.dropout",
    DROPOUT_RATES,
    [f"p = {p:g}" for p in DROPOUT_RATES],
)

INIT_SCHEMES = ("zeros", "small_normal", "large_normal", "xavier_normal", "he_normal")
INITIALIZATION = Comparison.over(
    DataConfig(name="digits", n_samples=1797),
    ModelConfig(depth=10, width=64, activation="relu"),
    TrainConfig(optimizer="momentum", lr=0.02, steps=150, batch_size=32),
    "model.init",
    INIT_SCHEMES,
    [init_probe.LABELS[s] for s in INIT_SCHEMES],
)


def run_initialization(device) -> dict[str, Trainer]:
    """The Weight initialization page: probe the untrained networks, then train every scheme."""
    init_probe.compare_schemes(INITIALIZATION.data, INITIALIZATION.model, INIT_SCHEMES)
    return run_all(INITIALIZATION.trainers(device))


# Optimizers: each with a learning rate in its own good range (Adam's 0.003 would stall SGD).
OPTIMIZER_LRS = dict(sgd=0.1, momentum=0.01, nesterov=0.01, rmsprop=0.001, adam=0.003, adamw=0.003)
OPTIMIZERS = Comparison(
    DataConfig(name="digits", n_samples=1797),
    ModelConfig(depth=2, width=64),
    TrainConfig(optimizer="adam", lr=0.003, steps=200, batch_size=32),
    optimizers.variants(OPTIMIZER_LRS),
)


def _optimizers_default(device) -> tuple:
    """The page's two experiments: every optimizer on the quadratic surface, then on the digits."""
    race = surfaces.race("quadratic", surfaces.SURFACES["quadratic"].lrs)
    return race, run_all(OPTIMIZERS.trainers(device))


# Weight decay on the same over-fitting set-up as Dropout, with AdamW's decoupled decay.
WEIGHT_DECAYS = (0.0, 0.1, 0.5)
REGULARIZATION = Comparison.over(
    DROPOUT.data, DROPOUT.model, replace(DROPOUT.train, optimizer="adamw"),
    "train.weight_decay", WEIGHT_DECAYS, [f"λ = {wd:g}" for wd in WEIGHT_DECAYS],
)

BACKPROP_NET, BACKPROP_TRAIN = backprop.BACKPROP_NET, backprop.BACKPROP_TRAIN

DEFAULTS: dict[str, Callable[[Any], object]] = {
    "Activation functions": lambda device: run_all(ACTIVATIONS.trainers(device)),
    # The tiny network trains on the CPU with the scalar engine, whatever the device.
    "Backpropagation": lambda device: backprop.default_experiment(BACKPROP_NET, BACKPROP_TRAIN),
    "Weight initialization": run_initialization,
    "Vanishing & exploding gradients": lambda device: run_all(VANISHING_GRADIENTS.trainers(device)),
    "Optimizers": _optimizers_default,
    "Dropout": lambda device: run_all(DROPOUT.trainers(device)),
    "Mini-batch training": lambda device: run_all(MINIBATCH.trainers(device)),
    "Normalization": lambda device: run_all(NORMALIZATION.trainers(device)),
    "Regularization": lambda device: run_all(REGULARIZATION.trainers(device)),
    # Three two-parameter fits: too small for a GPU to help, so they stay on the CPU.
    "Loss functions": lambda device: [
        losses.LineFit(losses.LineData(), name, TrainConfig(optimizer="adam", lr=0.05, steps=300)).run()
        for name in losses.REGRESSION_LOSSES
    ],
}
