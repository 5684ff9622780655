"""dlcore: the teaching engine of DL Fundamentals Lab (PyTorch + NumPy, no Streamlit).

The core: configs (``config``, checked by ``checks``) describe an experiment; ``data`` makes the
data set, ``models`` the network (from ``layers``), ``trainer`` advances it step by step, and
``recorder`` measures what happens inside. ``catalog`` lists the concepts; each concept's
experiments live in its laboratory, ``labs/<slug>.py``, which builds on the core and is never
imported by it.
"""

from .config import DataConfig, ModelConfig, TrainConfig, stable_hash
from .device import device_name, limit_threads, pick_device
from .recorder import Layer
from .trainer import MLPTrainer, Stepwise, Trainer

__all__ = [
    "DataConfig",
    "Layer",
    "MLPTrainer",
    "Stepwise",
    "ModelConfig",
    "TrainConfig",
    "Trainer",
    "device_name",
    "limit_threads",
    "pick_device",
    "stable_hash",
]
