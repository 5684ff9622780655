"""Finished runs shared by every session of the server, by config hash, with single flight.

A run is deterministic in its configs and seed, so its result belongs to its config hash, not to
a session. Thirty students opening the same link should train it once:

- the first session to ask **leads**: it trains the run in its own script thread, as always;
- the others that ask meanwhile **follow**: they draw the leader's run as it trains, from the
  read-only snapshots it publishes after each chunk while anyone follows (``Stepwise.snapshot``),
  and get its result when it finishes. If the leader pauses, restarts or leaves, one of them takes
  the lead, on from the last snapshot;
- later sessions get the finished result at once.

What is shared is immutable: snapshots and finished runs, their recorded data and models in eval
mode with gradients off (``Trainer.freeze``) that pages only read. A session never receives the
objects another session is training. The cache of finished runs is bounded by count and by bytes
(least recently used first out), and ``stats()`` is shown on the home page.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

MAX_RUNS = 48
MAX_BYTES = 256 * 2**20
STALL_SECONDS = 2.0  # a leader that has not advanced for this long is taken to have stopped


@dataclass
class Flight:
    """A run being trained by one session, that others follow."""

    leader: object  # the leader's LiveRun
    progress: float = field(default_factory=time.monotonic)  # when the leader last advanced
    done: threading.Event = field(default_factory=threading.Event)  # finished, or the leader stopped
    followers: int = 0  # sessions that joined it: while there are none, no snapshot is taken
    snapshot: dict | None = None  # the leader's trainers as they last stood, read-only
    version: int = 0  # snapshots published so far
    result: dict | None = None  # the finished run, frozen (also when it is too big for the cache)
    changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def stalled(self) -> bool:
        return time.monotonic() - self.progress >= STALL_SECONDS

    def wait(self, seen: int, timeout: float) -> None:
        """Until there is a snapshot newer than version ``seen``, the flight ends, or ``timeout``."""
        with self.changed:
            self.changed.wait_for(lambda: self.version > seen or self.done.is_set(), timeout)

    def end(self) -> None:
        with self.changed:
            self.done.set()
            self.changed.notify_all()


def run_bytes(trainers: dict) -> int:
    """Rough memory of a finished run: every tensor and NumPy array it holds (networks, optimizer
    state, data, fitted scikit-learn models, records), found by walking its attributes, each
    storage counted once, plus a small cost per Python object. Any kind of ``Stepwise`` is
    counted, not only those with a ``model`` (a GAN's two networks, a classical run's fits)."""
    seen_storage: set[tuple[int, int]] = set()
    seen: set[int] = set()
    total = 0

    def walk(value, depth: int) -> None:
        nonlocal total
        if id(value) in seen or depth > 24:
            return
        seen.add(id(value))
        if isinstance(value, torch.Tensor):
            storage = value.untyped_storage()
            key = (storage.data_ptr(), storage.nbytes())
            if key not in seen_storage:
                seen_storage.add(key)
                total += key[1]
        elif isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, torch.nn.Module):
            for t in (*value.parameters(), *value.buffers()):
                walk(t, depth + 1)
        elif isinstance(value, dict):
            total += 64 * len(value)
            for k, v in value.items():
                walk(k, depth + 1)
                walk(v, depth + 1)
        elif isinstance(value, (list, tuple, set, frozenset)):
            total += 8 * len(value)
            for v in value:
                walk(v, depth + 1)
        elif isinstance(value, torch.optim.Optimizer):
            walk(value.state, depth + 1)
        elif hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value):
            total += 100
            walk(vars(value), depth + 1)
        elif isinstance(value, (int, float, str, bytes)):
            total += 32 + (len(value) if isinstance(value, (str, bytes)) else 0)
        elif value is not None and not callable(value):  # slots or an extension type (a fitted tree)
            total += 100
            try:
                state = value.__getstate__()
            except Exception:  # noqa: BLE001 - an object that will not say: its base cost only
                return
            walk(state, depth + 1)

    walk(trainers, 0)
    return total


class SharedResults:
    """The server's finished runs (see the module docstring). Thread-safe."""

    def __init__(self, max_runs: int = MAX_RUNS, max_bytes: int = MAX_BYTES):
        self.max_runs, self.max_bytes = max_runs, max_bytes
        self._lock = threading.Lock()
        self._finished: OrderedDict[str, tuple[dict, int]] = OrderedDict()
        self._flights: dict[str, Flight] = {}

    # ------------------------------------------------------------------ finished runs
    def get(self, config_hash: str) -> dict | None:
        with self._lock:
            hit = self._finished.get(config_hash)
            if hit is None:
                return None
            self._finished.move_to_end(config_hash)
            return hit[0]

    def publish(self, config_hash: str, trainers: dict, run=None) -> None:
        """Store a finished run (frozen first); if ``run`` led a flight for it, end that flight with it
        as the result, for the sessions following it."""
        for trainer in trainers.values():
            freeze = getattr(trainer, "freeze", None)
            if freeze is not None:
                freeze()
        size = run_bytes(trainers)
        with self._lock:
            if size <= self.max_bytes and config_hash not in self._finished:
                self._finished[config_hash] = (trainers, size)
                self._evict()
            flight = self._flights.get(config_hash)
            if flight is None or flight.leader is not run:
                return
            del self._flights[config_hash]
        flight.result = trainers
        flight.end()

    def _evict(self) -> None:
        while len(self._finished) > self.max_runs or self._bytes() > self.max_bytes:
            self._finished.popitem(last=False)

    def _bytes(self) -> int:
        return sum(size for _, size in self._finished.values())

    def stats(self) -> tuple[int, int]:
        """(runs held, bytes held)."""
        with self._lock:
            return len(self._finished), self._bytes()

    def clear(self) -> None:
        with self._lock:
            self._finished.clear()
            self._flights.clear()

    # ------------------------------------------------------------------ single flight
    def lead_or_follow(self, config_hash: str, run) -> Flight:
        """The flight for ``config_hash``: ``run`` leads it (``flight.leader is run``) if nobody is
        training that run, or if its leader has stalled; else it follows the session that is."""
        with self._lock:
            flight = self._flights.get(config_hash)
            if flight is not None and flight.leader is not run:
                if not flight.stalled:
                    flight.followers += 1
                    return flight
                flight.end()  # wake its followers: they will ask again
            if flight is None or flight.leader is not run:
                flight = self._flights[config_hash] = Flight(run)
            return flight

    def progressed(self, config_hash: str, run, snapshot: Callable[[], dict]) -> None:
        """The leader took some steps: if anyone follows, ``snapshot()`` is published for them."""
        flight = self._flights.get(config_hash)
        if flight is None or flight.leader is not run:
            return
        flight.progress = time.monotonic()
        if flight.followers:
            taken = snapshot()
            with flight.changed:
                flight.snapshot, flight.version = taken, flight.version + 1
                flight.changed.notify_all()

    def abandon(self, config_hash: str, run) -> None:
        """The leader stopped (paused, restarted, settings changed): its followers stop waiting."""
        with self._lock:
            flight = self._flights.get(config_hash)
            if flight is None or flight.leader is not run:
                return
            del self._flights[config_hash]
        flight.end()
