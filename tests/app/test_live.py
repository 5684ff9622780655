"""``ui.live.LiveRun`` when two script runs of one session touch it at once: Streamlit's fast reruns
start the new run while the old one is still inside a training chunk."""

import sys
import threading

from dlcore import DataConfig, MLPTrainer, ModelConfig, TrainConfig
from ui.live import LiveRun

DATA, MODEL = DataConfig(name="moons", n_samples=200), ModelConfig(width=16, depth=2)
TRAIN = TrainConfig(steps=120, lr=0.05, record_every=5)


def trainers() -> dict:
    return {"net": MLPTrainer(DATA, MODEL, TRAIN, device="cpu")}


def test_two_script_runs_stepping_one_run_at_once_take_its_steps_in_turn():
    """Without the run's lock both threads stepped the same network together: a run ended at step 401
    of 400, and its numbers depended on the timing. With it, the run ends at its last step with the
    numbers of one thread alone."""
    alone = LiveRun("t.run", "h", trainers(), trainers)
    while not alone.done:
        alone.advance(7)
    shared = LiveRun("t.run", "h", trainers(), trainers)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        workers = [threading.Thread(target=lambda: [shared.advance(7) for _ in range(40)]) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        sys.setswitchinterval(interval)
    assert shared.step == shared.total_steps == 120
    ours, theirs = shared.trainers["net"].recorder.records, alone.trainers["net"].recorder.records
    assert [r.step for r in ours] == [r.step for r in theirs]
    assert [r.train_loss for r in ours] == [r.train_loss for r in theirs]


def test_pausing_while_following_keeps_a_copy_that_plays_on_to_the_leaders_numbers():
    """Pause acts on the student's own view: the follower keeps a trainable copy of the snapshot it
    showed, the leader trains on undisturbed, and both end with the numbers of one run alone."""
    from ui import live

    live.results().clear()
    leader = LiveRun("t.run", "follow-h", {}, trainers, shared=True)
    live._join(leader)
    assert leader.following is None and leader.trainers["net"].step == 0  # nobody trains it: it leads
    flight = live.results().lead_or_follow("follow-h", leader)
    flight.followers = 1  # one session waits for a snapshot
    leader.advance(30)
    live.results().progressed("follow-h", leader, leader.snapshot)
    follower = LiveRun("t.run", "follow-h", {}, trainers, shared=True)
    live._join(follower)
    assert follower.following is flight and follower.trainers is flight.snapshot and follower.step == 30
    live._set_playing(follower, False)  # Pause
    assert follower.following is None and follower.trainers is not flight.snapshot
    assert not flight.done.is_set()  # the leader still leads
    while not follower.done:
        follower.advance(7)
    while not leader.done:
        leader.advance(7)
    alone = LiveRun("t.run", "h", trainers(), trainers)
    while not alone.done:
        alone.advance(7)
    assert follower.trainers["net"].losses == leader.trainers["net"].losses == alone.trainers["net"].losses
    live.results().publish("follow-h", follower.trainers, follower)  # the copy finished first: not the flight's end
    assert not flight.done.is_set() and flight.result is None
    live.results().publish("follow-h", leader.trainers, leader)
    assert flight.done.is_set() and flight.result is leader.trainers


def test_a_follower_whose_leader_stops_leads_on_from_the_last_snapshot():
    from ui import live

    live.results().clear()
    leader = LiveRun("t.run", "stop-h", {}, trainers, shared=True)
    live._join(leader)
    flight = live.results().lead_or_follow("stop-h", leader)
    flight.followers = 1
    leader.advance(50)
    live.results().progressed("stop-h", leader, leader.snapshot)
    follower = LiveRun("t.run", "stop-h", {}, trainers, shared=True)
    live._join(follower)
    live._set_playing(leader, False)  # the leader pauses: its followers stop waiting on it
    assert flight.done.is_set() and flight.result is None
    live._join(follower)
    assert follower.following is None and follower.step == 50  # leads now, from the snapshot
    assert live.results().lead_or_follow("stop-h", follower).leader is follower
    while not follower.done:
        follower.advance(7)
    alone = LiveRun("t.run", "h", trainers(), trainers)
    while not alone.done:
        alone.advance(7)
    assert follower.trainers["net"].losses == alone.trainers["net"].losses


def test_the_cache_counts_what_any_kind_of_run_holds_each_storage_once():
    """The cache's byte limit bounds runs without a ``model`` too (a GAN's two networks, a classical
    run's fitted scikit-learn models): their arrays are found by walking the run."""
    import numpy as np
    import torch
    from sklearn.tree import DecisionTreeClassifier

    from ui.results import run_bytes

    rng = np.random.default_rng(0)
    tree = DecisionTreeClassifier(random_state=0).fit(rng.normal(size=(2000, 4)), rng.integers(0, 2, 2000))

    class Run:  # no .model: networks and fits sit in fields, lists and dicts
        def __init__(self):
            self.generator = torch.nn.Linear(500, 500)  # 1 MB of weights
            self.data = torch.zeros(250_000)  # 1 MB
            self.view = self.data[:10]  # the same storage: not counted again
            self.fits = {("pixels", 20): [tree]}

    size = run_bytes({"run": Run()})
    tree_arrays = sum(a.nbytes for a in tree.tree_.__getstate__().values() if isinstance(a, np.ndarray))
    assert tree_arrays > 10_000
    assert 2_004_000 + tree_arrays <= size <= 2_004_000 + tree_arrays + 50_000


def test_training_slots_are_half_the_cores_unless_the_server_says_otherwise(monkeypatch):
    import os

    import pytest

    from ui.live import SLOTS_ENV, slot_count

    monkeypatch.delenv(SLOTS_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert slot_count() == 4
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert slot_count() == 1
    monkeypatch.setenv(SLOTS_ENV, "3")
    assert slot_count() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(SLOTS_ENV, bad)
        with pytest.raises(ValueError, match="whole number"):
            slot_count()


def test_the_first_frame_waits_its_wall_time_so_a_run_done_sooner_draws_once(monkeypatch):
    """A frame the finished run replaces at once still costs the browser a render of every chart
    (0.5 s of the time from a learning-rate change to the finished page, in Chromium)."""
    from tests.support.helpers import app_at
    from ui import live

    drawn, draw = [], live._draw
    monkeypatch.setattr(live, "_draw", lambda placeholder, run, page: (drawn.append((run.key, run.done)),
                                                                       draw(placeholder, run, page)))
    monkeypatch.setattr(live, "FRAME_SECONDS", 60.0)  # no later frames: only the first frame's rule decides
    for wait, frames in ((60.0, [True]), (0.0, [False, True])):
        monkeypatch.setattr(live, "FIRST_FRAME_SECONDS", wait)
        live.results().clear()
        drawn.clear()
        app_at("pages/dropout.py")
        assert [done for key, done in drawn if not key.startswith("home")] == frames, (wait, drawn)
