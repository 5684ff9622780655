"""Live training: a session's trainers advanced chunk by chunk and drawn as they go.

    run = live.session("act.run", stable_hash(...), lambda: comparison.trainers(device()))
    live.play(run, draw)         # Play / Pause / Step / Restart, then the charts, drawn as it trains

The trainers live in ``st.session_state`` (one user's run never touches another's) and are
replaced only when the configuration's hash changes. A new configuration starts playing at
once; Pause, Step and Restart act on the same run. Any click interrupts the loop at its next
``st.*`` call, and because the trainers keep their own state nothing is lost by the rerun.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from dlcore import Stepwise

FRAME_SECONDS = 0.3  # train this long between redraws


@dataclass
class LiveRun:
    """The trainers of one page in one session, and whether they are playing."""

    key: str  # "do.run": the session-state key, and the prefix of the buttons' keys
    config_hash: str
    trainers: dict[str, Stepwise]
    factory: Callable[[], dict[str, Stepwise]] = field(repr=False)
    playing: bool = True
    frame: int = 0  # increases at every redraw: chart keys stay unique within a script run

    @property
    def done(self) -> bool:
        return all(t.done for t in self.trainers.values())

    @property
    def step(self) -> int:
        return max((t.step for t in self.trainers.values()), default=0)

    @property
    def total_steps(self) -> int:
        return max((t.train_cfg.steps for t in self.trainers.values()), default=0)

    def advance(self, steps: int) -> None:
        for trainer in self.trainers.values():
            trainer.advance(steps)

    def restart(self) -> None:
        self.trainers = self.factory()
        self.playing = True


def session(key: str, config_hash: str, factory: Callable[[], dict[str, Stepwise]]) -> LiveRun:
    """This session's run for ``key``: the same one while the config is unchanged, else new."""
    run = st.session_state.get(key)
    if not isinstance(run, LiveRun) or run.config_hash != config_hash:
        run = LiveRun(key, config_hash, factory(), factory)
        st.session_state[key] = run
    return run


def play(run: LiveRun, draw: Callable[[LiveRun], None], step_size: int = 10) -> None:
    """The buttons, then the run drawn as it trains: the close of every live experiment."""
    controls(run, step_size)
    stream(run, draw)


def controls(run: LiveRun, step_size: int = 10) -> None:
    """Play / Pause / Step / Restart. The buttons act in callbacks, before the page redraws,
    so each button's enabled state always matches the run."""
    key = run.key
    cols = st.columns(4)
    cols[0].button("▶ Play", key=f"{key}.play", on_click=_set_playing, args=(run, True),
                   disabled=run.playing or run.done, width="stretch")
    cols[1].button("⏸ Pause", key=f"{key}.pause", on_click=_set_playing, args=(run, False),
                   disabled=not run.playing, width="stretch")
    cols[2].button(f"⏭ +{step_size} steps", key=f"{key}.step", on_click=_step, args=(run, step_size),
                   disabled=run.done, width="stretch")
    cols[3].button("↺ Restart", key=f"{key}.restart", on_click=run.restart, width="stretch")


def _set_playing(run: LiveRun, playing: bool) -> None:
    run.playing = playing


def _step(run: LiveRun, steps: int) -> None:
    run.playing = False
    run.advance(steps)


def stream(run: LiveRun, draw: Callable[[LiveRun], None]) -> None:
    """Draw the run, training it between frames while it plays."""
    placeholder = st.empty()
    chunk = 5
    while run.playing and not run.done:
        start = time.perf_counter()
        run.advance(chunk)
        elapsed = time.perf_counter() - start
        # Aim for one frame every FRAME_SECONDS whatever the machine's speed.
        chunk = max(1, min(500, int(chunk * FRAME_SECONDS / max(elapsed, 1e-3))))
        _draw(placeholder, run, draw)
    if run.done:
        run.playing = False
    _draw(placeholder, run, draw)
    diverged = [f"**{name}** {t.message}" for name, t in run.trainers.items() if t.diverged]
    if diverged:
        st.warning("  \n".join(diverged) + "  \nThe curves stop where the run blew up.", icon="💥")


def _draw(placeholder, run: LiveRun, draw: Callable[[LiveRun], None]) -> None:
    run.frame += 1
    with placeholder.container():
        state = "finished" if run.done else ("training…" if run.playing else "paused")
        st.progress(run.step / max(run.total_steps, 1), text=f"step {run.step} / {run.total_steps} — {state}")
        draw(run)
