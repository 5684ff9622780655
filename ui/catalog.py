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
        Concept("pages/optimizers.py", "Optimizers", "🧭",
                "SGD, momentum, Nesterov, RMSProp, Adam and AdamW on loss surfaces and on digits; schedules."),
    ],
}


def all_concepts() -> list[Concept]:
    return [c for concepts in SECTIONS.values() for c in concepts]
