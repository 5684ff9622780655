"""Hand-edited links: every query parameter of every page set to values a curious student (or a
broken copy-paste) could put in the address bar. The page notes what it ignored, runs with its
defaults, and never shows a traceback.

The default suite tries one mix per page (every parameter gets a different kind of bad value);
``python -m pytest -m fuzz tests/app/test_links.py`` tries every kind on every parameter.
"""

from __future__ import annotations

import pytest

from dlcore.catalog import all_concepts
from tests.support.helpers import app_at

PAGES = [c.page for c in all_concepts()]
BAD_VALUES = {
    "wrong type": "banana",
    "out of range": "1e9",
    "empty": "",
    "very long": "9" * 10_000,
    "unicode": "𝟘ü🧠ß",
    "nan": "nan",
    "inf": "-inf",
    "negative zero": "-0",
    "a list": "1,2,3",
    "markup": "<script>alert(1)</script>",
    "repeated": ["0.1", "banana"],
}
KINDS = list(BAD_VALUES)


def page_parameters(path: str) -> list[str]:
    """The query parameters a page writes into its link (its controls)."""
    at = app_at(path)
    return sorted(at.query_params)


def open_with(path: str, values: dict):
    at = app_at()
    for name, value in values.items():
        at.query_params[name] = value
    at.query_params["no_such_setting"] = "1"  # an unknown name is ignored silently
    at.switch_page(path).run()
    return at


def assert_survives(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    for message in at.error:
        assert message.value.startswith("These settings can't run:") and "Traceback" not in message.value
    for toast in at.toast:  # notices stay short, even for a 10 kB value
        assert len(toast.value) < 200
    shown = " ".join(str(m.value) for m in at.markdown)
    assert "<script>" not in shown  # a link's text is never rendered as HTML


def mix(names: list[str], shift: int) -> dict:
    """Parameter j gets the bad value of kind (j + shift) mod the number of kinds."""
    return {name: BAD_VALUES[KINDS[(j + shift) % len(KINDS)]] for j, name in enumerate(names)}


@pytest.mark.parametrize("path", PAGES)
def test_a_link_full_of_bad_values_runs_with_defaults_and_says_what_it_ignored(path):
    names = page_parameters(path)
    assert names, "the page publishes no parameters"
    at = open_with(path, mix(names, 0))
    assert_survives(at)
    assert at.toast, "nothing said which values from the link were ignored"


@pytest.mark.fuzz
@pytest.mark.parametrize("shift", range(1, len(KINDS)))
@pytest.mark.parametrize("path", PAGES)
def test_every_kind_of_bad_value_on_every_parameter(path, shift):
    at = open_with(path, mix(page_parameters(path), shift))
    assert_survives(at)
