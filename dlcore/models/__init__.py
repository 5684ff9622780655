"""Networks the pages train, each built from its config by a seeded generator, on the CPU.

``mlp`` is the multi-layer perceptron of most pages; the architecture pages add their own
modules here (``cnn``, ``rnn``, ``transformer``, ``autoencoder``, ``gan``). A model lists the
layers the recorder should watch with ``layers()``.
"""

from ..layers.dropout import InvertedDropout
from .mlp import MLP, Block, build

__all__ = ["MLP", "Block", "InvertedDropout", "build"]
