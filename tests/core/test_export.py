"""Exported scripts reproduce the app's runs: the same mini-batch losses, step by step, and the same
final validation loss — for the set-ups of several pages, each with two settings."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace

import pytest

from dlcore import MLPTrainer
from dlcore.export import mlp_script
from dlcore.labs.activations import ACTIVATIONS
from dlcore.labs.dropout import DROPOUT
from dlcore.labs.normalization import NORMALIZATION
from dlcore.labs.optimizers import OPTIMIZERS


def variant(comparison, label=None, steps=60, **train):
    configs = comparison.configs()
    data, model, train_cfg = configs[label or next(iter(configs))]
    return data, model, replace(train_cfg, steps=steps, record_every=1, **train)


CASES = {
    "activations, tanh": variant(ACTIVATIONS, "tanh"),
    "activations, gelu with a cosine schedule and seed 3": variant(ACTIVATIONS, "gelu", schedule="cosine", seed=3),
    "dropout, p = 0.5 (masks in step)": variant(DROPOUT, "p = 0.5"),
    "dropout, p = 0.2, clipped, seed 7": variant(DROPOUT, "p = 0.2", grad_clip=0.5, seed=7),
    "normalization, BatchNorm at lr 1": variant(NORMALIZATION, "BatchNorm", steps=40),
    "normalization, LayerNorm with warm-up": variant(NORMALIZATION, "LayerNorm", steps=40, schedule="warmup_cosine"),
    "optimizers, Nesterov on the digits": variant(OPTIMIZERS, "Nesterov", steps=30),
    "optimizers, AdamW on the digits": variant(OPTIMIZERS, "AdamW", steps=30, weight_decay=0.1),
}


def run_script(text: str, tmp_path) -> tuple[list[float], float]:
    path = tmp_path / "experiment.py"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    losses = [float(v) for v in re.findall(r"mini-batch loss (\S+)$", out.stdout, flags=re.M)]
    val = float(re.search(r"validation loss (\S+),", out.stdout).group(1))
    return losses, val


@pytest.mark.parametrize("name", list(CASES))
def test_the_exported_script_reproduces_the_apps_run(name, tmp_path):
    data, model, train = CASES[name]
    trainer = MLPTrainer(data, model, train, device="cpu").run()
    assert trainer.status == "finished"
    losses, val_loss = run_script(mlp_script(data, model, train, title=name), tmp_path)
    assert len(losses) == train.steps
    assert losses == pytest.approx(trainer.losses, rel=1e-5, abs=1e-6)  # printed with 6 decimals
    assert val_loss == pytest.approx(trainer.recorder.records[-1].val_loss, rel=1e-5, abs=1e-6)


def test_the_script_imports_nothing_of_the_app():
    data, model, train = CASES["dropout, p = 0.5 (masks in step)"]
    text = mlp_script(data, model, train)
    imports = set(re.findall(r"^\s*(?:import|from) (\w+)", text, flags=re.M))
    assert imports <= {"math", "numpy", "torch", "base64", "zlib"}, imports


def test_a_wrong_export_would_be_caught(tmp_path):
    """The comparison is strict enough to notice a script whose dropout masks are one forward
    pass out of step with the app's (the untrained network's measurement left out)."""
    data, model, train = CASES["dropout, p = 0.5 (masks in step)"]
    initial_pass = "    F.cross_entropy(model(x_train[batches.peek()]), y_train[batches.peek()]).backward()\n"
    text = mlp_script(data, model, train)
    assert initial_pass in text
    trainer = MLPTrainer(data, model, train, device="cpu").run()
    losses, _ = run_script(text.replace(initial_pass, ""), tmp_path)
    assert losses != pytest.approx(trainer.losses, rel=1e-5, abs=1e-6)


def test_a_run_on_uploaded_data_is_exported_with_its_data_and_reproduced(tmp_path):
    """A run on a student's upload (random labels dealt out from it, as the Regularization page
    does): the script embeds the data the run trained on, and its losses are the app's."""
    from dlcore.labs.regularization import shuffle_labels
    from dlcore.upload import parse_csv, sample_csv

    own = parse_csv(sample_csv("moons", 150, seed=4), "2d", "moons.csv")
    data, model, train = variant(DROPOUT, "p = 0.5", steps=40)
    dataset = shuffle_labels(own.to_dataset(data), seed=1)
    trainer = MLPTrainer(data, model, train, device="cpu", dataset=dataset).run()
    text = mlp_script(data, model, train, title="on my data", dataset=trainer.dataset)
    assert "DATA = (" in text and "def circle(" not in text  # the data embedded, not the toy set's generator
    losses, val_loss = run_script(text, tmp_path)
    assert len(losses) == train.steps
    assert losses == pytest.approx(trainer.losses, rel=1e-5, abs=1e-6)
    assert val_loss == pytest.approx(trainer.recorder.records[-1].val_loss, rel=1e-5, abs=1e-6)
    plain, _ = run_script(mlp_script(data, model, train), tmp_path)  # the toy set regenerated: another run
    assert plain != pytest.approx(trainer.losses, rel=1e-5, abs=1e-6)
    from_upload = mlp_script(data, model, train, dataset=own)  # the UploadedData itself: its split, true labels
    assert from_upload == mlp_script(data, model, train, dataset=own.to_dataset(data))
