"""The page skeleton for "compare runs that differ in one setting": a page states its controls,
its comparison and its ``draw``; this helper does the rest, in the same order on every page.

    c = page.begin("dropout")
    rates = c.multiselect(...)                      # the controls
    c.publish()
    run = comparison.start(c, lambda: Comparison.over(...), selected=rates,
                           empty="Pick at least one dropout rate above to train.")
    ...                                             # widgets that need the run (optional)
    live.play(run, draw)
    page.footer("dropout")

``start`` stops with a hint when nothing is selected (before any config is built), turns a bad
setting into a sentence on the page, and finds this session's run for the comparison — the same
one while its configs are unchanged, a new one when they change. Its finished runs are shared
by every session with the same settings (``live.session(..., shared=True)``): pages built on it
only read the trained networks (a page that must switch a network's mode works on a copy).
"""

from __future__ import annotations

from collections.abc import Callable, Sized

import streamlit as st

from dlcore import stable_hash
from dlcore.experiments import Comparison
from dlcore.export import regenerates
from ui import live
from ui.controls import Controls, checked
from ui.runtime import device


def start(c: Controls, build: Callable[[], Comparison], selected: Sized | bool = True, empty: str = "") -> live.LiveRun:
    """This session's live run of the comparison ``build()`` makes (see the module docstring)."""
    if not selected:
        st.info(empty or "Pick at least one variant above to train.")
        st.stop()
    comparison = checked(build)
    return live.session(f"{c.page}.run", stable_hash(comparison), lambda: comparison.trainers(device()), shared=True)


def results_table(run: live.LiveRun, label: str = "run", gap: bool = False) -> None:
    """The last record of every run: validation loss and accuracy (and the train/validation gap)."""
    last = {name: t.recorder.records[-1] for name, t in run.trainers.items()}
    table = {label: list(last)}
    if gap:
        table["train loss"] = [round(r.train_loss, 3) for r in last.values()]
    table["validation loss"] = [round(r.val_loss, 4) for r in last.values()]
    if gap:
        table["gap"] = [round(r.val_loss - r.train_loss, 3) for r in last.values()]
    table["validation accuracy"] = [round(r.val_acc, 3) for r in last.values()]
    st.dataframe(table, hide_index=True)


def play(run: live.LiveRun, draw: Callable[[live.LiveRun], None]) -> None:
    """``live.play``: the buttons, the charts as it trains and, under the finished run, the downloads
    (``ui.downloads``: each run as a PyTorch script, the numbers as CSV)."""
    live.play(run, draw)


def _trained_on_own_data(trainer) -> bool:
    """Whether the run trained on data its ``DataConfig`` does not regenerate (an upload, labels
    dealt out at random): its script must carry that data."""
    return not regenerates(trainer.data_cfg, trainer.dataset)
