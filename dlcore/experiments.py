"""Experiments the pages run: several trainers that differ in one setting, same seed, same
batches — so any difference in the curves comes from that setting alone.

``DEFAULTS`` maps each page to its default experiment, run to the end; the benchmark times it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import torch

from . import data as data_mod
from . import optimizers, surfaces
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


DEFAULTS: dict[str, Callable[[Any], object]] = {
    "Activation functions": lambda device: run_all(ACTIVATIONS.trainers(device)),
    "Optimizers": _optimizers_default,
}
