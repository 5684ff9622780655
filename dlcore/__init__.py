"""dlcore: the teaching engine of DL Fundamentals Lab (PyTorch + NumPy, no Streamlit).

Configs (``config``) describe an experiment; ``data`` makes the data set, ``models`` the
network, ``trainer`` advances it step by step, and ``recorder`` measures what happens inside.
"""

from .config import DataConfig, ModelConfig, TrainConfig, stable_hash
from .device import device_name, limit_threads, pick_device
from .trainer import Trainer

__all__ = [
    "DataConfig",
    "ModelConfig",
    "TrainConfig",
    "Trainer",
    "device_name",
    "limit_threads",
    "pick_device",
    "stable_hash",
]
