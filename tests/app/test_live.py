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
