"""A student can't break a page with odd settings: every slider of every page pushed to its
minimum, or to its maximum, at once. The page may say a setting can't run, or that a run
diverged, but never shows a traceback."""

import pytest

from dlcore.catalog import all_concepts
from tests.support.helpers import app_at

PAGES = [c.page for c in all_concepts()]


@pytest.mark.parametrize("end", ["min", "max"])
@pytest.mark.parametrize("path", PAGES)
def test_every_slider_at_its_extreme_at_once(path, end):
    at = app_at(path)
    moved = 0
    for s in at.slider:
        if s.key and "." in s.key and not s.disabled:
            s.set_value(s.max if end == "max" else s.min)
            moved += 1
    for s in at.select_slider:
        if s.key and "." in s.key and not s.disabled:
            raw = s.options[-1 if end == "max" else 0]  # options come back as strings
            s.set_value(type(s.value)(raw))
            moved += 1
    assert moved >= 2
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for message in at.error:  # a refusal must be a sentence, not a dump
        assert message.value.startswith("These settings can't run:") and "Traceback" not in message.value
