"""Comparisons: several trainers that differ in one setting, same seed, same batches — so any
difference in the curves comes from that setting alone.

Each concept's presets and its default experiment live with its laboratory
(``dlcore.labs.<slug>``); a set-up that two concepts share is kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from . import data as data_mod
from .config import DataConfig, ModelConfig, TrainConfig
from .trainer import MLPTrainer, Trainer
from .upload import UploadedData


@dataclass(frozen=True)
class Comparison:
    """A base set of configs and named variants, each a few overrides of it.

    Override keys name the config and the field: ``{"model.activation": "tanh"}``.

    With ``upload`` (a student's own CSV, ``dlcore.upload``) every variant trains on that data
    instead of the data set ``data`` names; ``data`` still sets the split (validation fraction and
    seed). The upload enters ``stable_hash(comparison)`` by its content digest, never its arrays.
    """

    data: DataConfig
    model: ModelConfig
    train: TrainConfig
    variants: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    upload: UploadedData | None = None  # data of one's own, replacing the data set ``data`` names

    @classmethod
    def over(cls, data, model, train, field: str, values, labels=None, upload: UploadedData | None = None
             ) -> Comparison:
        """Variants that set one ``field`` ("model.activation") to each of ``values``."""
        labels = labels or [str(v) for v in values]
        return cls(data, model, train, tuple((lab, ((field, v),)) for lab, v in zip(labels, values)), upload)

    def configs(self) -> dict[str, tuple[DataConfig, ModelConfig, TrainConfig]]:
        out = {}
        for label, overrides in self.variants:
            cfgs = {"data": self.data, "model": self.model, "train": self.train}
            for key, value in overrides:
                part, name = key.split(".")
                cfgs[part] = replace(cfgs[part], **{name: value})
            out[label] = (cfgs["data"], cfgs["model"], cfgs["train"])
        return out

    def trainers(self, device: torch.device | str | None = None) -> dict[str, MLPTrainer]:
        """One fresh trainer per variant; variants that share a data config share its tensors."""
        datasets: dict[DataConfig, data_mod.Dataset] = {}
        out = {}
        for label, (d, m, t) in self.configs().items():
            if d not in datasets:
                datasets[d] = data_mod.load(d) if self.upload is None else self.upload.to_dataset(d)
            out[label] = MLPTrainer(d, m, t, device=device, dataset=datasets[d])
        return out


def run_all(trainers: dict[str, Trainer]) -> dict[str, Trainer]:
    for trainer in trainers.values():
        trainer.run()
    return trainers




# Built to over-fit, shared by the Dropout and Regularization pages: 100 noisy training points,
# 2 × 256 hidden units, trained long.
OVERFITTING = (
    DataConfig(name="circle", n_samples=200, noise=0.5, val_fraction=0.5),
    ModelConfig(depth=2, width=256),
    TrainConfig(optimizer="adam", lr=0.01, steps=300, batch_size=32),
)
