"""The one table of concepts. Everything else about a concept is found from its ``slug``:

    pages/<slug>.py             the page            (its URL path is the slug)
    dlcore/labs/<slug>.py       its laboratory      (experiments, presets, ``default_experiment``)
    ui/charts/<slug>.py         its own charts      (where it needs any)
    assets/pages/<slug>.md      its prose
    tests/concepts/<slug>/      its tests           (test_lab, test_claims, test_app, test_browser)

``prefix`` keys its widgets and names its URL query parameters' page (kept short, and kept as
it is: saved links depend on it). The frame builds its navigation from this table, the home page
its map, the benchmark its per-page table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    slug: str
    title: str
    icon: str
    prefix: str  # widget-key prefix: "do" keys the Dropout page's widgets "do.p", "do.run", …
    summary: str  # one line for the home page's map

    @property
    def page(self) -> str:
        """The page file, relative to the app's folder."""
        return f"pages/{self.slug}.py"

    @property
    def prose(self) -> str:
        return f"assets/pages/{self.slug}.md"

    def lab(self):
        """The concept's laboratory module, ``dlcore.labs.<slug>``."""
        return importlib.import_module(f"dlcore.labs.{self.slug}")


SECTIONS: dict[str, list[Concept]] = {
    "Why deep learning": [
        Concept("representation", "Representation learning", "🧬", "rep",
                "Hidden layers over training, linear probes per layer, learned weights, and when transfer works."),
        Concept("classical_ml", "Deep learning vs classical ML", "⚔️", "cl",
                "Logistic regression, trees, boosting and k-NN against an MLP: features, data size, time."),
    ],
    "Core concepts": [
        Concept("activations", "Activation functions", "📈", "act",
                "ReLU, Leaky ReLU, sigmoid, tanh, GELU and softmax: shapes, slopes, dead and saturated units."),
        Concept("backprop", "Backpropagation", "🔁", "bp",
                "The chain rule node by node on a tiny network, checked against autograd and finite differences."),
        Concept("initialization", "Weight initialization", "🎯", "init",
                "Zeros, small, large, Xavier and He: vanishing and exploding signals, and the symmetry problem."),
        Concept("vanishing_gradients", "Vanishing & exploding gradients", "🌋", "vg",
                "Per-layer gradient norms in deep nets; ReLU + He, residuals, normalization and clipping."),
        Concept("optimizers", "Optimizers", "🧭", "opt",
                "SGD, momentum, Nesterov, RMSProp, Adam and AdamW on loss surfaces and on digits; schedules."),
        Concept("dropout", "Dropout", "🎲", "do",
                "Overfitting and how dropout fights it: masks, inverted vs classic scaling, MC dropout."),
    ],
    "Training in practice": [
        Concept("minibatch", "Mini-batch training", "📦", "mb",
                "Why gradients are computed on batches: noise that shrinks like 1/√B, steps versus epochs."),
        Concept("normalization", "Normalization", "⚖️", "norm",
                "BatchNorm and LayerNorm: which statistics each uses, and the learning rates they allow."),
        Concept("regularization", "Regularization", "🧲", "reg",
                "Weight decay (AdamW) and early stopping on a network built to over-fit."),
        Concept("losses", "Loss functions", "📉", "loss",
                "MSE, MAE and Huber against outliers; cross-entropy vs MSE on a sigmoid; focal loss; KL."),
        Concept("augmentation", "Data augmentation", "🔀", "aug",
                "Shifts, rotations, noise, cutout, mixup, CutMix, label smoothing: robustness and calibration."),
        Concept("practical_tips", "Debugging a training run", "🩺", "dbg",
                "Broken runs to fix: unscaled inputs, bad learning rates, softmax twice, zero_grad, eval(), NaNs."),
    ],
    "Architectures": [
        Concept("rnn", "Recurrent networks", "🔄", "rnn",
                "RNN vs LSTM vs GRU on a memory task: gradients through time measured, gates, clipping."),
        Concept("cnn", "Convolutional networks", "🖼️", "cnn",
                "A CNN and an MLP on shifted digits: weight sharing, equivariance, pooling, receptive fields."),
        Concept("autoencoder", "Autoencoders", "🗜️", "ae",
                "A 2-D bottleneck on the digits against PCA: codes, latent walk, denoising, VAE, anomalies."),
        Concept("transformer", "Transformers", "🔭", "tf",
                "Self-attention written out: an encoder learns to reverse digits; attention maps, positions, √d, T²."),
        Concept("gan", "GANs", "🎭", "gan",
                "A generator and a discriminator on 8 Gaussian blobs, live: D's map, G's arrows, mode collapse."),
    ],
}


def all_concepts() -> list[Concept]:
    return [c for concepts in SECTIONS.values() for c in concepts]


def concept(slug: str) -> Concept:
    """The concept named by ``slug`` (KeyError if there is none)."""
    for c in all_concepts():
        if c.slug == slug:
            return c
    raise KeyError(slug)
