"""The work caps (dlcore/caps.py): a network too large for a shared server is refused with a
sentence saying what to lower, before anything is allocated for training."""

import pytest
from torch import nn

from dlcore import DataConfig, MLPTrainer, ModelConfig, TrainConfig, Trainer
from dlcore import data as data_mod
from dlcore.caps import CAPS, check_parameters


def test_the_largest_mlp_the_pages_offer_is_within_the_cap():
    trainer = MLPTrainer(DataConfig(name="digits"), ModelConfig(depth=20, width=256), TrainConfig(steps=1))
    assert sum(p.numel() for p in trainer.model.parameters()) < CAPS.max_parameters


def test_a_network_over_the_parameter_cap_is_refused_with_what_to_lower():
    ds = data_mod.load(DataConfig(n_samples=40))
    too_big = nn.Sequential(nn.Linear(2, 1500), nn.ReLU(), nn.Linear(1500, 1500), nn.Linear(1500, 2))
    with pytest.raises(ValueError, match="more than the 2,000,000 a shared server trains.*fewer layers"):
        Trainer(too_big, ds, TrainConfig(steps=1), device="cpu")
    with pytest.raises(ValueError, match="ModelConfig|parameters"):
        MLPTrainer(DataConfig(n_samples=40), ModelConfig(depth=50, width=1024), TrainConfig(steps=1))


def test_the_cap_is_the_boundary():
    check_parameters(CAPS.max_parameters)
    with pytest.raises(ValueError):
        check_parameters(CAPS.max_parameters + 1)
