"""The work one run may ask of a shared server: one table, enforced by the engine and the live loop.

A classroom server trains for every student at once, so no combination of controls and link
values may make one run take more than a few seconds of CPU or more than a bounded amount of
memory. The sliders of each page already bound its settings; these caps are the backstop that
holds whatever a page offers:

| cap                     | value        | enforced where                                   |
|-------------------------|--------------|--------------------------------------------------|
| parameters per network  | 2,000,000    | ``Trainer`` refuses to build the run (a sentence) |
| training examples       | 20,000       | ``DataConfig`` (number of samples)               |
| steps per run           | 100,000      | ``TrainConfig``; pages offer far fewer           |
| CPU seconds per run     | 20 s         | the live loop stops the run with a message       |
| finished runs kept      | 48, 256 MiB  | ``ui.results`` (least recently used out)         |
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caps:
    max_parameters: int = 2_000_000  # float32 weights + Adam's two moments: ≤ 24 MiB per network
    max_run_cpu_seconds: float = 20.0  # CPU time of the thread that trains one live run


CAPS = Caps()


def check_parameters(n_parameters: int, caps: Caps = CAPS) -> None:
    """Refuse a network too large for a shared laptop-class server, saying what to lower."""
    if n_parameters > caps.max_parameters:
        raise ValueError(
            f"this network has {n_parameters:,} parameters, more than the {caps.max_parameters:,} a shared "
            "server trains for one student; choose fewer layers, fewer units or fewer channels"
        )
