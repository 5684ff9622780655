"""``tools.device_check``: what it calls agreement between the CPU and an accelerator."""

import torch

from dlcore import DataConfig, MLPTrainer, ModelConfig, TrainConfig
from tools.device_check import compare, trainers

CFG = (DataConfig(n_samples=200), ModelConfig(width=16), TrainConfig(steps=30, record_every=10))


def run(**change) -> MLPTrainer:
    t = MLPTrainer(*CFG, device="cpu")
    if change.get("nudge"):
        with torch.no_grad():  # another initialisation: what a model built differently on a device would be
            next(t.model.parameters()).mul_(1.01)
        t.recorder.records.clear()
        t._record_initial()
    return t.run()


def test_the_same_run_on_both_sides_agrees_and_another_start_is_caught():
    assert compare({"net": run()}, {"net": run()}) == []
    problems = compare({"net": run()}, {"net": run(nudge=True)})
    assert len(problems) == 1 and problems[0].startswith("net: step-0 validation loss")
    assert compare({"net": run()}, {}) == ["net: missing on the accelerator"]


def test_recorded_runs_are_found_in_the_shapes_default_experiments_return():
    t = run()
    assert trainers({"a": t}) == {"a": t}
    assert trainers(({"paths": 1}, {"a": t})) == {"a": t}  # Optimizers: (paths, runs)
    assert trainers({"runs": {"a": t}, "range test": object()}) == {"a": t}  # Debugging: runs nested
