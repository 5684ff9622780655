"""Live training: a session's trainers advanced chunk by chunk and drawn as they go.

    run = live.session("act.run", stable_hash(...), lambda: comparison.trainers(device()))
    live.play(run, draw)         # Play / Pause / Step / Restart, then the charts, drawn as it trains

The trainers live in ``st.session_state`` (one user's run never touches another's) and are
replaced only when the configuration's hash changes. A new configuration starts playing at
once; Pause, Step and Restart act on the same run. Any click interrupts the loop at its next
``st.*`` call, and because the trainers keep their own state nothing is lost by the rerun.

Pacing: a playing run trains in chunks of a fixed number of steps (``total / MAX_FRAMES``) and
redraws at most once every ``FRAME_SECONDS`` of wall time *and* of the training thread's own CPU
time — so at most ``MAX_FRAMES`` frames per run, a run that finishes quickly draws once, and a
busy server (where wall time stretches but CPU time does not) draws no more frames per run than
an idle one: what one student costs does not grow with the number of students. The first frame
comes after FIRST_FRAME_SECONDS of wall time alone, so a chart appears early even when the run is
slow, while a run that finishes within it draws once: a frame the finished run replaces at once
costs the student's browser a render of every chart (Activation functions in Chromium, drawing
its first chunk at once: learning rate → finished 2.05 s; now 1.52 s).

With ``shared=True`` a run is shared by every session that asks for the same configs
(``ui.results``): the first session trains it; the others that come meanwhile follow it, drawing
the read-only snapshots it publishes as it goes (paced like a run of their own), and get its
result when it finishes; later sessions get the finished run at once. Pause, Step and Restart
still act on the student's own run: pausing while following keeps a copy of the run where it
stood (Play or Step trains that copy on, with the same numbers the leader gets); pausing a run
others follow hands the lead to one of them; Restart trains a fresh copy for this session only.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from dlcore import Stepwise
from dlcore.caps import CAPS
from ui import downloads
from ui.controls import checked
from ui.results import STALL_SECONDS, Flight, SharedResults

_LOG = logging.getLogger(__name__)
FRAME_SECONDS = 0.5  # at most one redraw per this much wall time and training CPU time
FIRST_FRAME_SECONDS = 0.25  # the first redraw of a run in training: after this much wall time
MAX_FRAMES = 12  # a playing run trains in this many chunks, so it redraws at most this often
TRAINING, FOLLOWING = "training…", "training… (one run for everyone on this link)"  # the progress bar's states
FOLLOW_FRAME_SECONDS = 2.0  # a session following another's run redraws its snapshots at most this often
FOLLOW_SECONDS = 120  # the longest a session waits for another session's run before training its own


SLOTS_ENV = "DLLAB_TRAINING_SLOTS"


def slot_count() -> int:
    """Training chunks that may run at once, server-wide: ``$DLLAB_TRAINING_SLOTS``, else half the
    cores (at least one). Measured on this project's 2-core machine, 30 students each training a
    different Dropout run: one slot, 0.97 s of CPU per student (1.0× one student alone) and 22 s
    to the last finished run (p95); two slots, 1.17–1.36 s (1.2–1.4×) and 22–25 s. The networks
    taught here are small, so a second run training at once mostly adds hand-offs of Python's
    lock (every torch operation releases and retakes it); the other core still draws and serves
    pages while one run trains."""
    env = os.environ.get(SLOTS_ENV)
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"{SLOTS_ENV} must be a whole number ≥ 1, got {env!r}")
        return int(env)
    return max(1, (os.cpu_count() or 2) // 2)


@st.cache_resource
def training_slots() -> threading.BoundedSemaphore:
    """``slot_count()`` training chunks at a time, server-wide. Thirty sessions training at once in
    thirty script threads spent most of their CPU handing Python's lock to each other (3x the
    CPU per student of one alone, measured); waiting in line for a slot costs nothing."""
    return threading.BoundedSemaphore(slot_count())


@st.cache_resource
def results() -> SharedResults:
    """The server's shared finished runs (one object for every session; it is thread-safe)."""
    return SharedResults()


@dataclass
class LiveRun:
    """The trainers of one page in one session, and whether they are playing."""

    key: str  # "do.run": the session-state key, and the prefix of the buttons' keys
    config_hash: str
    trainers: dict[str, Stepwise]
    factory: Callable[[], dict[str, Stepwise]] = field(repr=False)
    playing: bool = True
    frame: int = 0  # increases at every redraw: chart keys stay unique within a script run
    shared: bool = False  # share the finished run with every session asking for the same configs
    error: str = ""  # set when training raised or ran over its cap: the run ends with this message
    cpu_seconds: float = 0.0  # CPU time spent training this run (capped by dlcore.caps)
    # One thread at a time trains or draws this run. Streamlit's fast reruns start the new script run
    # at once, while the old one finishes its training chunk: without the lock both stepped the same
    # networks together (a run ended at step 401 of 400, and its numbers depended on the timing).
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    # Following another session's run of the same configs: its flight, and the last snapshot taken
    # from it. ``trainers`` then holds that read-only snapshot.
    following: Flight | None = field(default=None, repr=False, compare=False)
    seen: int = 0

    @property
    def done(self) -> bool:
        return bool(self.error) or all(t.done for t in self.trainers.values())

    @property
    def step(self) -> int:
        return max((t.step for t in self.trainers.values()), default=0)

    @property
    def total_steps(self) -> int:
        return max((t.train_cfg.steps for t in self.trainers.values()), default=0)

    def advance(self, steps: int) -> None:
        """Train every run ``steps`` more steps. An exception inside training (a bug, a fault)
        ends this run with a message instead of reaching the browser as a traceback."""
        if self.error:
            return
        start = time.thread_time()
        try:
            with self.lock, training_slots():  # queue for a core instead of fighting over the GIL
                for trainer in self.trainers.values():
                    trainer.advance(steps)
        except Exception as err:  # noqa: BLE001 - any failure of a run is reported, never raised
            _LOG.exception("training failed for %s", self.key)
            self._stop(f"{type(err).__name__}: {err}")
        self.cpu_seconds += time.thread_time() - start
        if self.cpu_seconds > CAPS.max_run_cpu_seconds and not self.done:
            self._stop(f"this experiment needs more than {CAPS.max_run_cpu_seconds:g} s of computing time, the most "
                       "one run may take on a shared server; choose fewer steps, a smaller network or less data")

    def _stop(self, error: str) -> None:
        self.error = error
        self.playing = False
        self.stop_leading()

    def restart(self) -> None:
        self.stop_leading()
        with self.lock:
            self.error, self.cpu_seconds, self.following = "", 0.0, None
            self.trainers = self.factory()
            self.playing = True

    def snapshot(self) -> dict[str, Stepwise]:
        """Read-only copies of the trainers as they stand, for the sessions following this run."""
        with self.lock:
            return {name: t.snapshot() for name, t in self.trainers.items()}

    def detach(self) -> None:
        """Stop following: this session keeps its own copy of the run where it stood."""
        with self.lock:
            if self.following is not None:
                self.following = None
                self.trainers = _trainable(self.trainers)

    def stop_leading(self) -> None:
        """Sessions waiting for this run stop waiting (it paused, restarted or was replaced)."""
        if self.shared:
            results().abandon(self.config_hash, self)


def session(key: str, config_hash: str, factory: Callable[[], dict[str, Stepwise]], shared: bool = False) -> LiveRun:
    """This session's run for ``key``: the same one while the config is unchanged, else new.

    With ``shared``, a new run is the finished one another session trained with the same configs
    if there is one; if another session is training it right now, this one waits for it."""
    run = st.session_state.get(key)
    if not isinstance(run, LiveRun) or run.config_hash != config_hash:
        if isinstance(run, LiveRun):
            run.stop_leading()
        # Building the runs can refuse a setting the configs alone could not judge (a network over
        # the parameter cap, BatchNorm on one-example batches): a sentence on the page, no traceback.
        factory = _checked_factory(factory)
        run = _shared_run(key, config_hash, factory) if shared else LiveRun(key, config_hash, factory(), factory)
        st.session_state[key] = run
    return run


def _checked_factory(factory: Callable[[], dict[str, Stepwise]]) -> Callable[[], dict[str, Stepwise]]:
    return lambda: checked(factory)


def _shared_run(key: str, config_hash: str, factory) -> LiveRun:
    """The finished run for ``config_hash``; or, while another session trains it, a run that
    follows that one; or a new run, registered as the one the others follow."""
    run = LiveRun(key, config_hash, {}, factory, shared=True)
    _join(run)
    return run


def _trainable(snapshot: dict[str, Stepwise]) -> dict[str, Stepwise]:
    """This session's own copies of a snapshot's trainers, to train on from where they stood."""
    return {name: t.trainable_copy() for name, t in snapshot.items()}


def rejoin(run: LiveRun) -> None:
    """A shared run held at step 0 (its question waited for an answer) that starts now: it joins
    what the server has for its configs by now — the finished run, a run another session is
    training (followed), or else it leads, with the trainers it holds. So a class answering one by
    one still trains the teacher's link once."""
    if run.shared and run.step == 0 and run.following is None and not run.error:
        with run.lock:
            _join(run, fresh=run.trainers)


def _join(run: LiveRun, fresh: dict[str, Stepwise] | None = None) -> None:
    """Give ``run`` the finished result if there is one; else make it follow the session training
    its configs, from that run's latest snapshot (waiting a moment for the first one); else make it
    lead, training its own trainers: on from the snapshot it followed if it followed one, else
    ``fresh`` (untrained ones it holds) or new ones."""
    shared = results()
    waiting = None
    deadline = time.monotonic() + FOLLOW_SECONDS
    snapshot = run.trainers if run.following is not None else None
    run.following = None
    while True:
        finished = shared.get(run.config_hash)
        if finished is not None:
            run.trainers, run.playing = finished, False
            break
        flight = shared.lead_or_follow(run.config_hash, run)
        if flight.leader is run or time.monotonic() > deadline:
            run.trainers = _trainable(snapshot) if snapshot else fresh or run.factory()
            shared.progressed(run.config_hash, run, run.snapshot)
            break
        if flight.result is not None:
            run.trainers, run.playing = flight.result, False
            break
        if flight.snapshot is not None and not flight.done.is_set():
            run.following, run.seen, run.trainers = flight, flight.version, flight.snapshot
            break
        if waiting is None:
            waiting = st.empty()
            waiting.info("⏳ Someone on this server is training exactly this experiment right now: "
                         "joining their run instead of training it twice…")
        flight.wait(flight.version, timeout=STALL_SECONDS / 4)
    if waiting is not None:
        waiting.empty()


def play(run: LiveRun, draw: Callable[[LiveRun], None], step_size: int = 10) -> None:
    """The buttons, then the run drawn as it trains: the close of every live experiment.

    While the run plays, the buttons are those of a playing run (Pause enabled); when it finishes
    within this script run they are replaced by those of a finished one, so what is enabled
    always matches the run (the playing set has its own keys: a key may appear once per run)."""
    slot = st.empty()
    playing = run.playing and not run.done
    with slot.container():
        controls(run, step_size, suffix=".playing" if playing else "")
    stream(run, draw)
    if playing:
        with slot.container():
            controls(run, step_size)
    downloads.offer(run)  # under a finished run: its script and its numbers, built on click


def controls(run: LiveRun, step_size: int = 10, suffix: str = "") -> None:
    """Play / Pause / Step / Restart. The buttons act in callbacks, before the page redraws,
    so each button's enabled state always matches the run."""
    key = run.key + suffix
    cols = st.columns(4)
    cols[0].button("▶ Play", key=f"{key}.play", on_click=_set_playing, args=(run, True),
                   disabled=run.playing or run.done, width="stretch")
    cols[1].button("⏸ Pause", key=f"{key}.pause", on_click=_set_playing, args=(run, False),
                   disabled=not run.playing, width="stretch")
    cols[2].button(f"⏭ +{step_size} steps", key=f"{key}.step", on_click=_step, args=(run, step_size),
                   disabled=run.done, width="stretch")
    cols[3].button("↺ Restart", key=f"{key}.restart", on_click=run.restart, width="stretch")


def _set_playing(run: LiveRun, playing: bool) -> None:
    if not playing:
        run.detach()  # a paused view is the student's own: it no longer moves with the leader
        run.stop_leading()
    run.playing = playing


def _step(run: LiveRun, steps: int) -> None:
    _set_playing(run, False)
    run.advance(steps)


def stream(run: LiveRun, draw: Callable[[LiveRun], None]) -> None:
    """Draw the run, training it between frames while it plays (see "Pacing" above)."""
    placeholder = st.empty()
    _follow(placeholder, run, draw)
    chunk = max(1, math.ceil(run.total_steps / MAX_FRAMES))
    started = last_frame = time.monotonic()
    last_work = time.thread_time()
    frames_before = run.frame
    while run.playing and not run.done:
        run.advance(chunk)
        if run.shared and not run.done:  # a finished run is published whole, below
            results().progressed(run.config_hash, run, run.snapshot)
        now, work = time.monotonic(), time.thread_time()
        # The first frame comes after FIRST_FRAME_SECONDS of wall time, whatever the CPU did: a chart
        # early even on a busy server, and none that a run finishing at once would replace at once.
        first = run.frame == frames_before and now - started >= FIRST_FRAME_SECONDS
        if not run.done and (first or (now - last_frame >= FRAME_SECONDS and work - last_work >= FRAME_SECONDS)):
            _draw(placeholder, run, draw)
            last_frame, last_work = time.monotonic(), time.thread_time()
    if run.done:
        run.playing = False
        if run.shared and not run.error:
            results().publish(run.config_hash, run.trainers, run)
    _draw(placeholder, run, draw)
    if run.error:
        st.error(f"This run stopped: {run.error}. The charts show it up to there; "
                 "press ↺ Restart or change a setting to train again.", icon="🛑")
    diverged = [f"**{name}** {t.message}" for name, t in run.trainers.items() if t.diverged]
    if diverged:
        st.warning("  \n".join(diverged) + "  \nThe curves stop where the run blew up.", icon="💥")


def _follow(placeholder, run: LiveRun, draw: Callable[[LiveRun], None]) -> None:
    """While ``run`` plays and follows another session's run: draw each new snapshot of it, at most
    once every ``FOLLOW_FRAME_SECONDS``, until it finishes (then this run is the finished one) or its leader
    stops (then this run joins again: it may lead, on from the last snapshot)."""
    drawn, last_frame = -1, -math.inf
    while run.following is not None and run.playing:
        flight = run.following
        pending = run.seen > drawn  # a snapshot not drawn yet: wait only for the frame's turn
        timeout = FOLLOW_FRAME_SECONDS - (time.monotonic() - last_frame) if pending else STALL_SECONDS / 4
        if timeout > 0:
            flight.wait(run.seen, timeout)
        with run.lock:
            if run.following is not flight:
                continue  # another script run of this session moved on
            if flight.done.is_set() or flight.stalled:
                _join(run)
                continue
            if flight.version > run.seen:
                run.trainers, run.seen = flight.snapshot, flight.version
        if run.seen > drawn and time.monotonic() - last_frame >= FOLLOW_FRAME_SECONDS:
            _draw(placeholder, run, draw)
            drawn, last_frame = run.seen, time.monotonic()


def _draw(placeholder, run: LiveRun, draw: Callable[[LiveRun], None]) -> None:
    # The lock: never read a run that another script run of this session is stepping.
    with run.lock, placeholder.container():
        run.frame += 1
        state = "stopped by an error" if run.error else (
            "finished" if run.done else (FOLLOWING if run.following else TRAINING) if run.playing else "paused")
        st.progress(min(1.0, run.step / max(run.total_steps, 1)), text=f"step {run.step} / {run.total_steps} — {state}")
        draw(run)
