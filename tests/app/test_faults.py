"""Faults: a run that raises inside training ends with a message on the page; the page, the next
run and other sessions keep working."""

from __future__ import annotations

import pytest

from dlcore import Trainer
from tests.support.helpers import app_at, figures

PAGE = "pages/activations.py"


@pytest.fixture
def failing_training(monkeypatch):
    """Every trainer raises at its 57th step, as a bug deep in training would."""
    original = Trainer.train_step

    def train_step(self):
        if self.step == 56:
            raise RuntimeError("injected fault at step 57")
        return original(self)

    monkeypatch.setattr(Trainer, "train_step", train_step)


def test_a_run_that_raises_ends_with_a_message_not_a_traceback(failing_training):
    at = app_at(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("This run stopped: RuntimeError" in e and "injected fault at step 57" in e for e in errors), errors
    assert figures(at), "the charts of the steps before the fault are still drawn"


def test_after_a_fault_the_next_session_trains_normally(failing_training, monkeypatch):
    app_at(PAGE)  # the failing session
    monkeypatch.undo()  # the fault is gone: another student opens the page
    at = app_at(PAGE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("finished" in str(p.proto) for p in at.get("progress"))


def test_a_run_over_its_cpu_cap_stops_with_a_sentence_saying_what_to_lower(monkeypatch):
    import ui.live
    from dlcore.caps import Caps

    monkeypatch.setattr(ui.live, "CAPS", Caps(max_run_cpu_seconds=0.05))
    at = app_at(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("needs more than 0.05 s of computing time" in e and "choose fewer steps" in e for e in errors), errors


def test_a_setting_refused_while_building_the_runs_is_a_sentence_not_a_traceback():
    """E.g. a network over the parameter cap: the Trainer refuses it when the run is built."""
    from streamlit.testing.v1 import AppTest

    def script():
        from ui import live

        def refuse():
            raise ValueError("this network has 9,999,999 parameters, more than the 2,000,000 allowed")

        live.session("t.run", "some-hash", refuse, shared=True)

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [
        "These settings can't run: this network has 9,999,999 parameters, more than the 2,000,000 allowed."]
