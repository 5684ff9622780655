"""The list of concept pages: the frame builds its navigation from it, the home page its map."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    path: str  # the page file, relative to the app's folder
    title: str
    icon: str
    summary: str  # one line for the home page's map


SECTIONS: dict[str, list[Concept]] = {
    "Core concepts": [
        Concept("pages/activations.py", "Activation functions", "📈",
                "ReLU, Leaky ReLU, sigmoid, tanh, GELU and softmax: shapes, slopes, dead and saturated units."),
        Concept("pages/backprop.py", "Backpropagation", "🔁",
                "The chain rule node by node on a tiny network, checked against autograd and finite differences."),
        Concept("pages/initialization.py", "Weight initialization", "🎯",
                "Zeros, small, large, Xavier and He: vanishing and exploding signals, and the symmetry problem."),
        Concept("pages/vanishing_gradients.py", "Vanishing & exploding gradients", "🌋",
                "Per-layer gradient norms in deep nets; ReLU + He, residuals, normalization and clipping."),
        Concept("pages/optimizers.py", "Optimizers", "🧭",
                "SGD, momentum, Nesterov, RMSProp, Adam and AdamW on loss surfaces and on digits; schedules."),
        Concept("pages/dropout.py", "Dropout", "🎲",
                "Overfitting and how dropout fights it: masks, inverted vs classic scaling, MC dropout."),
    ],
    "Training in practice": [
        Concept("pages/minibatch.py", "Mini-batch training", "📦",
                "Why gradients are computed on batches: noise that shrinks like 1/√B, steps versus epochs."),
        Concept("pages/normalization.py", "Normalization", "⚖️",
                "BatchNorm and LayerNorm: which statistics each uses, and the learning rates they allow."),
        Concept("pages/regularization.py", "Regularization", "🧲",
                "Weight decay (AdamW) and early stopping on a network built to over-fit."),
        Concept("pages/losses.py", "Loss functions", "📉",
                "MSE, MAE and Huber against outliers; cross-entropy vs MSE on a sigmoid; focal loss; KL."),
    ],
}


def all_concepts() -> list[Concept]:
    return [c for concepts in SECTIONS.values() for c in concepts]
