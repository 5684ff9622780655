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

import csv
import io
from collections.abc import Callable, Sized
from functools import lru_cache

import streamlit as st
import torch

from dlcore import data as data_mod
from dlcore import stable_hash
from dlcore.config import DataConfig, ModelConfig, TrainConfig
from dlcore.experiments import Comparison
from dlcore.export import mlp_script
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
    """``live.play`` and, under it, the downloads: each run as a PyTorch script, the numbers as CSV."""
    live.play(run, draw)
    downloads(run)


@lru_cache(maxsize=64)
def _script(data: DataConfig, model: ModelConfig, train: TrainConfig, title: str) -> str:
    return mlp_script(data, model, train, title=title)


@lru_cache(maxsize=16)
def _regenerated(data: DataConfig) -> data_mod.Dataset | None:
    """The data set a ``DataConfig`` regenerates (what a script without embedded data rebuilds)."""
    try:
        return data_mod.load(data)
    except ValueError:
        return None


def _trained_on_own_data(trainer) -> bool:
    """Whether the run trained on data its ``DataConfig`` does not regenerate: an upload, or labels
    dealt out at random. Such a script must carry the data itself."""
    ds, regenerated = trainer.dataset, _regenerated(trainer.data_cfg)
    if regenerated is None:
        return True
    return not all(mine.shape == theirs.shape and torch.equal(mine.cpu(), theirs)
                   for mine, theirs in [(ds.x_train, regenerated.x_train), (ds.y_train, regenerated.y_train),
                                        (ds.x_val, regenerated.x_val), (ds.y_val, regenerated.y_val)])


def script(run: live.LiveRun, label: str) -> str:
    """Run ``label`` of ``run`` as a PyTorch script; one that trained on its own data embeds it."""
    trainer = run.trainers[label]
    if not _trained_on_own_data(trainer):
        return _script(trainer.data_cfg, trainer.model_cfg, trainer.train_cfg, label)
    kept = st.session_state.setdefault("_comparison.scripts", {})
    key = (run.key, run.config_hash, label)
    if key not in kept:
        kept.clear()  # one run's scripts at a time: an embedded data set can be large
        kept[key] = mlp_script(trainer.data_cfg, trainer.model_cfg, trainer.train_cfg, title=label,
                               dataset=trainer.dataset)
    return kept[key]


def recorded_csv(run: live.LiveRun) -> str:
    """Every run's recorded numbers, one row per run and recorded step."""
    rows = [{"run": name} | row for name, t in run.trainers.items() for row in t.recorder.rows()]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def downloads(run: live.LiveRun) -> None:
    """Take the experiment home: any run as a self-contained PyTorch script that trains it again
    (same seed, same numbers), and every recorded number as a CSV."""
    with st.expander("⬇ Take this experiment with you: a PyTorch script, the numbers as CSV"):
        cols = st.columns([2, 1, 1])
        label = cols[0].selectbox("Run", list(run.trainers), key=f"{run.key}.export")
        slug = run.key.split(".")[0]
        cols[1].download_button(
            "PyTorch script (.py)", lambda: script(run, label),  # built on click, off the page's run
            file_name=f"{slug}-{label}.py".replace(" ", "_").replace("=", ""), mime="text/x-python",
            key=f"{run.key}.script", width="stretch")
        cols[2].download_button("Recorded numbers (.csv)", lambda: recorded_csv(run), file_name=f"{slug}.csv",
                                mime="text/csv", key=f"{run.key}.csv", width="stretch")
        st.caption("The script needs only torch and numpy: it rebuilds the data (or, for your own data or random "
                   "labels, carries it), the network, its "
                   "initialization, the optimizer, the schedule, the batch order and the dropout masks, and "
                   "prints the same losses as this page.")
