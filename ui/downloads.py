"""Take the experiment home: under a finished run, its networks as a self-contained PyTorch script
(torch and numpy only; same seed, same numbers) and its recorded numbers as CSV.

    downloads.offer(run)     # ui.live.play calls it: every page that trains gets it

Export is a property of the run, not of the page: each trainer says ``script()`` and ``rows()``
(``dlcore.trainer.Stepwise``). Both files are built only when a button is clicked, so a page view
costs nothing more than the two buttons.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from ui.live import LiveRun


def recorded_csv(run: LiveRun) -> str:
    """Every run's recorded numbers, one row per run and recorded step."""
    rows = [{"run": name} | row for name, t in run.trainers.items() for row in t.rows()]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _file_name(slug: str, label: str, ext: str) -> str:
    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{slug}-{label}")
    return f"{name}.{ext}"


def offer(run: LiveRun) -> None:
    """The two download buttons under a finished run (nothing while it trains or after an error)."""
    if not run.done or run.error or not run.trainers:
        return
    exportable = [name for name, t in run.trainers.items() if t.has_script()]
    slug = run.key.split(".")[0]
    with st.expander("⬇ Take this experiment with you: a PyTorch script, the numbers as CSV"):
        cols = st.columns([2, 1, 1])
        if exportable:
            label = exportable[0]
            if len(exportable) > 1:
                label = cols[0].selectbox("Run", exportable, key=f"{run.key}.export")
            trainer = run.trainers[label]
            cols[1].download_button(
                "⬇ PyTorch script", lambda: trainer.script(label),  # built on click, off the page's run
                file_name=_file_name(slug, label, "py"), mime="text/x-python", key=f"{run.key}.script",
                width="stretch")
        cols[2].download_button("⬇ recorded numbers (CSV)", lambda: recorded_csv(run),
                                file_name=_file_name(slug, "recorded", "csv"), mime="text/csv",
                                key=f"{run.key}.csv", width="stretch")
        if exportable:
            st.caption("The script needs only torch and numpy: it rebuilds the data (or carries it), the network "
                       "and its initialization, the optimizer, the schedule and the order of the mini-batches, "
                       "and prints the same losses as this page.")
