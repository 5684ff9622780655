"""Finished runs shared by every session of the server, by config hash, with single flight.

A run is deterministic in its configs and seed, so its result belongs to its config hash, not to
a session. Thirty students opening the same link should train it once:

- the first session to ask **leads**: it trains the run in its own script thread, as always;
- the others that ask meanwhile **follow**: they wait for the leader's result (or, if the leader
  pauses, restarts or leaves, take the lead and train their own copy);
- later sessions get the finished result at once.

What is shared is a finished run: its recorded data, and models frozen in eval mode with
gradients off (``Trainer.freeze``) that pages only read. A session never receives a run that
another session is still training. The cache is bounded by count and by bytes (least recently
used first out), and ``stats()`` is shown on the home page.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import torch

MAX_RUNS = 48
MAX_BYTES = 256 * 2**20
STALL_SECONDS = 2.0  # a leader that has not advanced for this long is taken to have stopped


@dataclass
class Flight:
    """A run being trained by one session, that others wait for."""

    leader: object  # the leader's LiveRun
    progress: float = field(default_factory=time.monotonic)  # when the leader last advanced
    done: threading.Event = field(default_factory=threading.Event)


def run_bytes(trainers: dict) -> int:
    """Rough memory of a finished run: its tensors (models, optimizer state, data) and records."""
    seen, total = set(), 0

    def add(t: torch.Tensor) -> None:
        nonlocal total
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        if key not in seen:
            seen.add(key)
            total += key[1]

    for trainer in trainers.values():
        model = getattr(trainer, "model", None)
        if isinstance(model, torch.nn.Module):
            for t in list(model.parameters()) + list(model.buffers()):
                add(t)
        optimizer = getattr(trainer, "optimizer", None)
        for state in getattr(optimizer, "state", {}).values():
            for v in state.values():
                if isinstance(v, torch.Tensor):
                    add(v)
        dataset = getattr(trainer, "dataset", None)
        for name in ("x_train", "y_train", "x_val", "y_val"):
            if isinstance(getattr(dataset, name, None), torch.Tensor):
                add(getattr(dataset, name))
        recorder = getattr(trainer, "recorder", None)
        for record in getattr(recorder, "records", []):
            total += 200 + sum(200 + (s.act.hist.nbytes if s.act is not None else 0) for s in record.layers)
        total += 8 * len(getattr(trainer, "losses", []))
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

    def publish(self, config_hash: str, trainers: dict) -> None:
        """Store a finished run (frozen first) and wake the sessions waiting for it."""
        for trainer in trainers.values():
            freeze = getattr(trainer, "freeze", None)
            if freeze is not None:
                freeze()
        size = run_bytes(trainers)
        with self._lock:
            if size <= self.max_bytes and config_hash not in self._finished:
                self._finished[config_hash] = (trainers, size)
                self._evict()
            flight = self._flights.pop(config_hash, None)
        if flight is not None:
            flight.done.set()

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
    def lead_or_follow(self, config_hash: str, run) -> Flight | None:
        """Make ``run`` the leader for ``config_hash`` (returns None), or return the flight of the
        session already training it (one that has stalled is taken over)."""
        with self._lock:
            flight = self._flights.get(config_hash)
            if flight is not None and flight.leader is not run:
                if time.monotonic() - flight.progress < STALL_SECONDS:
                    return flight
                flight.done.set()  # wake its followers: they will ask again
            self._flights[config_hash] = Flight(run)
            return None

    def progressed(self, config_hash: str, run) -> None:
        """The leader took some steps."""
        flight = self._flights.get(config_hash)
        if flight is not None and flight.leader is run:
            flight.progress = time.monotonic()

    def abandon(self, config_hash: str, run) -> None:
        """The leader stopped (paused, restarted, settings changed): its followers stop waiting."""
        with self._lock:
            flight = self._flights.get(config_hash)
            if flight is None or flight.leader is not run:
                return
            del self._flights[config_hash]
        flight.done.set()
