"""Validation helpers shared by every config: each failure is a ``ValueError`` whose message is
a sentence a student understands ("learning rate must be > 0 and ≤ 10, got -1")."""

from __future__ import annotations

import math
import numbers


def check(ok: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``ok``."""
    if not ok:
        raise ValueError(message)


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    """``value`` must be one of ``choices``."""
    check(value in choices, f"{name} must be one of {', '.join(choices)}; got {value!r}")


def check_range(name: str, value: float, low: float, high: float, *, low_open: bool = False) -> None:
    """``low ≤ value ≤ high`` (``low < value`` with ``low_open``); NaN is never inside."""
    low_word = ">" if low_open else "≥"
    check(isinstance(value, numbers.Real) and not isinstance(value, bool), f"{name} must be a number, got {value!r}")
    number = float(value)
    inside = not math.isnan(number) and (number > low if low_open else number >= low) and number <= high
    check(inside, f"{name} must be {low_word} {low:g} and ≤ {high:g}, got {value:g}")


def check_whole(name: str, value, low: int, high: int) -> None:
    """A whole number with ``low ≤ value ≤ high`` (``3`` and ``3.0`` pass, ``2.5`` and ``True`` do not)."""
    check_range(name, value, low, high)
    check(not isinstance(value, bool) and float(value).is_integer(), f"{name} must be a whole number, got {value!r}")
