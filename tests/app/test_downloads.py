"""The downloads under a finished run: each run as a PyTorch script, the recorded numbers as CSV."""

from __future__ import annotations

import csv
import io

from streamlit.testing.v1 import AppTest


def comparison_page():
    from dataclasses import replace

    from dlcore.experiments import Comparison
    from dlcore.labs.dropout import DROPOUT
    from ui import comparison
    from ui.controls import Controls

    c = Controls("dl")
    run = comparison.start(c, lambda: Comparison.over(DROPOUT.data, DROPOUT.model, replace(DROPOUT.train, steps=30),
                                                     "model.dropout", [0.0, 0.5], ["p = 0", "p = 0.5"]))
    comparison.play(run, lambda run: None)


def test_every_run_can_be_taken_home_as_a_script_and_the_numbers_as_csv():
    at = AppTest.from_function(comparison_page, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="dl.run.export").options == ["p = 0", "p = 0.5"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["⬇ PyTorch script", "⬇ recorded numbers (CSV)"]


def test_the_csv_holds_every_recorded_step_of_every_run():
    from dataclasses import replace

    from dlcore.experiments import Comparison
    from dlcore.labs.dropout import DROPOUT
    from ui.downloads import recorded_csv
    from ui.live import LiveRun

    comparison = Comparison.over(DROPOUT.data, DROPOUT.model, replace(DROPOUT.train, steps=20),
                                 "model.dropout", [0.0, 0.5], ["p = 0", "p = 0.5"])
    trainers = {k: t.run() for k, t in comparison.trainers("cpu").items()}
    rows = list(csv.DictReader(io.StringIO(recorded_csv(LiveRun("x.run", "h", trainers, lambda: trainers)))))
    assert [(r["run"], int(r["step"])) for r in rows] == [(k, s) for k in trainers for s in (0, 10, 20)]
    last = trainers["p = 0.5"].recorder.records[-1]
    assert float(rows[-1]["val_loss"]) == last.val_loss
    assert float(rows[-1]["layer 1: grad_norm"]) == last.layers[0].grad_norm
