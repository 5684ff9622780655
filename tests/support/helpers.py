"""Helpers shared by the AppTest and browser tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def app_at(page: str | None = None, timeout: float = 120) -> AppTest:
    """The app run once, then switched to ``page`` (a path like "pages/activations.py")."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout).run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def predicted_at(page: str, link: dict, guess: str | None = None) -> AppTest:
    """``page`` opened from a link with the predict-then-reveal question on (``link``), and the
    learner's ``guess`` in the link when given."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.query_params.update(link | ({"guess": guess} if guess else {}))
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[dict]:
    """Every Plotly figure on the page as its JSON spec (data and layout)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def figure(at: AppTest, title_part: str) -> dict:
    """The first figure whose title contains ``title_part``."""
    for fig in figures(at):
        if title_part in fig.get("layout", {}).get("title", {}).get("text", ""):
            return fig
    raise AssertionError(f"no chart titled '…{title_part}…'")


def values(data) -> np.ndarray:
    """A figure array as numpy: Plotly sends numpy arrays as {"dtype", "bdata"(base64), "shape"}."""
    if isinstance(data, dict) and "bdata" in data:
        flat = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
        shape = data.get("shape")
        if isinstance(shape, str):
            shape = tuple(int(s) for s in shape.split(","))
        return flat.reshape(shape) if shape else flat
    if isinstance(data, list) and any(v is None for v in np.ravel(np.array(data, dtype=object))):
        return np.array([[np.nan if v is None else v for v in row] if isinstance(row, list) else
                         (np.nan if row is None else row) for row in data], dtype=float)  # gaps
    return np.asarray(data)
