"""What deep learning is, in one picture: a linear model and a small deep network trained on the
same 2-D points, side by side (the home page's experiment; not a concept of the catalog).

A linear classifier (logistic regression: ``softmax(W·x + b)``) can only cut the plane with a
straight line. A network with hidden layers and a non-linear activation composes simple pieces
into a boundary of any shape — here, the circle the linear model cannot draw. Both are trained
the same way (Adam, the same mini-batches, through ``Trainer``): the difference is the model.

A learner's own 2-D points (``dlcore.upload``, the ``x1,x2,label`` form) can replace the toy set:
both models then train on that file, split and standardised as the toy sets are.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .. import data as data_mod
from ..checks import check_choice
from ..config import DATASETS, DataConfig, ModelConfig, TrainConfig
from ..trainer import MLPTrainer, Trainer
from ..upload import UploadedData

TOY_SETS = tuple(d for d in DATASETS if d != "digits")
LINEAR, DEEP = "linear model", "deep network (2 × 16 ReLU)"


@dataclass(frozen=True)
class WhatIsDLConfig:
    """The home page's experiment: which 2-D data, and the run's seed. ``stable_hash`` of it names
    the run, the upload by its content digest: another file is another run, the same file the same."""

    data: str = "circle"  # a toy set: circle, xor, gaussians, spiral or moons
    seed: int = 0  # points, initial weights and batch order (and the upload's split)
    upload: UploadedData | None = None  # a learner's own 2-D points, replacing the toy set

    def __post_init__(self) -> None:
        check_choice("data set", self.data, TOY_SETS)
        if self.upload is not None and self.upload.form != "2d":
            raise ValueError("the home page draws the plane: it needs a file of 2-D points (x1,x2,label)")

    def configs(self) -> tuple[DataConfig, ModelConfig, TrainConfig]:
        return (DataConfig(name=self.data, n_samples=400, noise=0.1, seed=self.seed),
                ModelConfig(depth=2, width=16, activation="relu"),
                TrainConfig(optimizer="adam", lr=0.03, steps=300, batch_size=32, record_every=20, seed=self.seed))


def linear_model(n_in: int, n_out: int, seed: int) -> nn.Linear:
    """Logistic regression as a network with no hidden layer: ``W·x + b``, Xavier-initialised."""
    layer = nn.Linear(n_in, n_out)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bound = (6 / (n_in + n_out)) ** 0.5
        layer.weight.uniform_(-bound, bound, generator=g)
        layer.bias.zero_()
    return layer


def trainers(cfg: WhatIsDLConfig = WhatIsDLConfig(), device=None) -> dict[str, Trainer]:
    """The two runs, on the same data, seed and mini-batches: {label: trainer}."""
    data, model, train = cfg.configs()
    ds = data_mod.load(data) if cfg.upload is None else cfg.upload.to_dataset(data)
    layer = linear_model(ds.n_features, ds.n_classes, cfg.seed)
    linear = Trainer(layer, ds, train, layers=[("output", layer)], device=device)
    return {LINEAR: linear, DEEP: MLPTrainer(data, model, train, device=device, dataset=ds)}


def default_experiment(device) -> dict:
    out = trainers(WhatIsDLConfig(), device)
    for t in out.values():
        t.run()
    return out
