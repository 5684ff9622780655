"""Activation functions: the same network trained with each activation, on the same seed and
batches. The functions themselves (curves, slopes, softmax) are layers of the core:
``dlcore.layers.activations``."""

from __future__ import annotations

from ..config import DataConfig, ModelConfig, TrainConfig
from ..experiments import Comparison, run_all

ACTIVATIONS = Comparison.over(
    DataConfig(name="circle", n_samples=600, noise=0.1),
    ModelConfig(depth=3, width=16, init="xavier_normal"),
    TrainConfig(optimizer="adam", lr=0.01, steps=300, batch_size=32),
    "model.activation",
    ("relu", "leaky_relu", "sigmoid", "tanh", "gelu"),
)


def default_experiment(device) -> dict:
    return run_all(ACTIVATIONS.trainers(device))
