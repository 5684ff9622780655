"""Networks the pages train, each built from its config by a seeded generator, on the CPU.

``mlp`` is the multi-layer perceptron of most pages; the architecture pages add their own
modules here (``cnn``, ``rnn``, ``transformer``, ``autoencoder``, ``gan``; import them from their
modules, e.g. ``dlcore.models.cnn``). A model lists the layers the recorder should watch with
``layers()``; ``size.count_parameters`` is the one parameter count.
"""

from ..layers.dropout import InvertedDropout
from .mlp import MLP, Block, build
from .size import count_parameters

__all__ = ["MLP", "Block", "InvertedDropout", "build", "count_parameters"]
