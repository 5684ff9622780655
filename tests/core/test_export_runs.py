"""Every page that trains exports its run: the script (torch and numpy only, nothing of the app)
trains it again and prints the app's losses, step for step, and its final validation loss — for
the architecture, augmentation, debugging, GAN, line-fit and backprop runs, most with two settings."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from dlcore.config import TrainConfig

TOL = dict(rel=1e-5, abs=1e-6)  # the scripts print 6 decimals


def tiny(train: TrainConfig, steps: int = 12, **changes) -> TrainConfig:
    return replace(train, steps=steps, record_every=1, **changes)


def cnn(label, **train):
    from dlcore.labs import cnn as lab

    base = lab.CNNExperiment()
    return lab.CNNExperiment(train=tiny(base.train, **train), digits=replace(base.digits, n_train=200)).trainers(
        "cpu")[label]


def rnn(cell, **train):
    from dlcore.labs import rnn as lab

    task = replace(lab.DEFAULT_TASK, distractors=10, n_train=200)
    return lab.RecurrentTrainer(task, replace(lab.DEFAULT_MODEL, cell=cell), tiny(lab.DEFAULT_TRAIN, **train), "cpu")


def transformer(positional, **train):
    from dlcore.labs import transformer as lab

    task = replace(lab.TASK, n_train=300, n_val=100)
    return lab.SequenceTrainer(task, replace(lab.MODEL, positional=positional), tiny(lab.TRAIN, **train), "cpu")


def autoencoder(kind):
    from dlcore.labs import autoencoder as lab

    setup = lab.Setup(train=tiny(lab.DEFAULT.train, 20), denoise=0.3, beta=0.5)
    return setup.trainers("cpu")[kind]


def augmentation(name, **train):
    from dlcore.labs import augmentation as lab

    return lab.experiment((name,), train=tiny(lab.TRAIN, **train), device="cpu")[lab.LABELS[name]]


def debugging(bug, **changes):
    from dlcore.labs import practical_tips as lab

    broken = next(iter(lab.pair(bug, steps=12, device="cpu").values()))
    return lab.DebugTrainer(replace(broken.cfg, **changes), device="cpu")


def representation():
    from dlcore.labs import representation as lab

    return lab.RepresentationRun(lab.RepresentationConfig(steps=15), "cpu")


def classical():
    from dlcore.labs import classical_ml as lab

    return lab.ClassicalRun(lab.ClassicalConfig(methods=("logistic regression", "MLP"), feature_sets=("pixels",),
                                                sizes=(50, 100), mlp_steps=15))


def minibatch(label):
    from dlcore.labs.minibatch import MINIBATCH

    return {k: replace_steps(t) for k, t in MINIBATCH.trainers("cpu").items()}[label]


def replace_steps(trainer):
    from dlcore import MLPTrainer

    return MLPTrainer(trainer.data_cfg, trainer.model_cfg, tiny(trainer.train_cfg, 15), device="cpu")


# name -> the run (not yet trained); each trains in well under a second
TRAINERS = {
    "cnn: the CNN": lambda: cnn("CNN"),
    "cnn: the MLP, cosine schedule, seed 3": lambda: cnn("MLP", schedule="cosine", seed=3),
    "rnn: LSTM": lambda: rnn("lstm"),
    "rnn: GRU, clipped": lambda: rnn("gru", grad_clip=0.5),
    "transformer: learned positions": lambda: transformer("learned"),
    "transformer: sinusoidal, warm-up": lambda: transformer("sinusoidal", schedule="warmup_cosine"),
    "autoencoder: denoising": lambda: autoencoder("denoising AE"),
    "autoencoder: VAE": lambda: autoencoder("VAE"),
    "augmentation: mixup": lambda: augmentation("mixup"),
    "augmentation: shift, seed 2": lambda: augmentation("shift", seed=2),
    "augmentation: label smoothing": lambda: augmentation("smoothing"),
    "debugging: forgotten zero_grad": lambda: debugging("no_zero_grad"),
    "debugging: forgotten eval(), with dropout": lambda: debugging("no_eval"),
    "debugging: softmax twice, seed 4": lambda: debugging("softmax_twice", seed=4),
    "representation": representation,
    "minibatch: B = 4": lambda: minibatch("B = 4"),
}


def run_script(text: str, tmp_path) -> str:
    imports = set(re.findall(r"^\s*(?:import|from) ([\w.]+)", text, flags=re.M))
    assert {i.split(".")[0] for i in imports} <= {"__future__", "base64", "zlib", "math", "numbers", "numpy", "torch",
                                                  "dataclasses", "abc", "typing", "collections", "hashlib", "json",
                                                  "functools"}, imports
    path = tmp_path / "experiment.py"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return out.stdout


def printed(stdout: str, what: str = "mini-batch loss") -> dict[int, float]:
    return {int(s): float(v) for s, v in re.findall(rf"step +(\d+)  {what} (\S+)$", stdout, flags=re.M)}


@pytest.mark.parametrize("name", list(TRAINERS))
def test_the_exported_script_trains_the_same_run(name, tmp_path):
    run = TRAINERS[name]().run()
    trainer = getattr(run, "trainer", run)
    assert run.status == "finished" and run.has_script()
    stdout = run_script(run.script(name), tmp_path)
    losses, cfg = printed(stdout), trainer.train_cfg
    assert sorted(losses) == [s for s in range(1, cfg.steps + 1) if s % cfg.record_every == 0 or s == cfg.steps]
    assert [losses[s] for s in sorted(losses)] == pytest.approx([trainer.losses[s - 1] for s in sorted(losses)], **TOL)
    val = float(re.search(r"validation loss (\S+),", stdout).group(1))
    assert val == pytest.approx(trainer.recorder.records[-1].val_loss, **TOL)


def test_the_classical_run_exports_its_largest_mlp(tmp_path):
    run = classical().run()
    fit = run.results[("pixels", 100)]["MLP"]
    text = run.script("classical")
    assert "pixels, 100 training images" in text
    losses = printed(run_script(text, tmp_path))
    assert sorted(losses) == [15]  # the MLP records only its last step
    assert losses[15] == pytest.approx(fit.model.losses[-1], **TOL)


@pytest.mark.parametrize("loss", ["non_saturating", "wasserstein_gp"])
def test_the_gan_script_trains_both_networks_as_the_app_does(loss, tmp_path):
    from dlcore.labs.gan import GANTrainConfig, GANTrainer

    run = GANTrainer(train=GANTrainConfig(loss=loss, steps=15)).run()
    g_losses = printed(run_script(run.script(), tmp_path), "G loss")
    assert [g_losses[s] for s in sorted(g_losses)] == pytest.approx(run.g_losses, **TOL)
    assert len(g_losses) == 15


def test_the_gan_script_carries_an_uploaded_distribution_and_trains_on_it(tmp_path):
    from dlcore.labs.gan import GANTrainConfig, GANTrainer, uploaded_points
    from dlcore.upload import parse_csv, sample_csv

    mix = uploaded_points(parse_csv(sample_csv("moons", 120, seed=3), "2d"))
    run = GANTrainer(mix, train=GANTrainConfig(steps=15)).run()
    builtin = GANTrainer(train=GANTrainConfig(steps=15)).run()
    text = run.script()
    assert mix.data in text  # the file's points, embedded
    g_losses = printed(run_script(text, tmp_path), "G loss")
    assert [g_losses[s] for s in sorted(g_losses)] == pytest.approx(run.g_losses, **TOL)
    assert [g_losses[s] for s in sorted(g_losses)] != pytest.approx(builtin.g_losses, **TOL)


def test_the_line_fit_script_fits_the_same_line(tmp_path):
    from dlcore.labs.losses import LineData, LineFit

    run = LineFit(LineData(), "huber", TrainConfig(optimizer="adam", lr=0.05, steps=40), delta=0.5).run()
    losses = printed(run_script(run.script(), tmp_path), "loss")
    assert [losses[s] for s in sorted(losses)] == pytest.approx([h[3] for h in run.history[1:]], **TOL)


@pytest.mark.parametrize("net", [dict(), dict(hidden=3, activation="relu", loss="bce", seed=2)])
def test_torch_autograd_in_float64_agrees_with_the_scalar_engine(net, tmp_path):
    from dlcore.labs.backprop import BACKPROP_NET, BACKPROP_TRAIN, ScalarTrainer

    run = ScalarTrainer(replace(BACKPROP_NET, **net), replace(BACKPROP_TRAIN, steps=60, batch_size=8)).run()
    losses = printed(run_script(run.script(), tmp_path), "loss")
    assert len(losses) == 60
    assert [losses[s] for s in sorted(losses)] == pytest.approx(run.losses, rel=1e-9, abs=1e-11)


def test_the_tiny_network_script_carries_an_uploaded_file_and_trains_on_it(tmp_path):
    from dlcore.labs.backprop import BACKPROP_NET, BACKPROP_TRAIN, ScalarTrainer, TrainingPoints, parse_two_classes
    from dlcore.upload import sample_csv

    points = TrainingPoints(upload=parse_two_classes(sample_csv("moons", 60, seed=5)))
    train = replace(BACKPROP_TRAIN, steps=60, batch_size=8)
    run = ScalarTrainer(BACKPROP_NET, train, points).run()
    text = run.script()
    assert "on the points of an uploaded file" in text and len(run.x) == 45  # 60 points, 15 held out
    assert f"X = torch.tensor({run.x!r}" in text
    losses = printed(run_script(text, tmp_path), "loss")
    assert [losses[s] for s in sorted(losses)] == pytest.approx(run.losses, rel=1e-9, abs=1e-11)
    xor = ScalarTrainer(BACKPROP_NET, train).run()
    assert [losses[s] for s in sorted(losses)] != pytest.approx(xor.losses, rel=1e-9, abs=1e-11)


def test_a_wrong_export_would_be_caught(tmp_path):
    """The comparison notices an augmentation script whose augmenter is not drawn afresh after
    the untrained network's measurement (one batch of draws out of step with the app)."""
    run = TRAINERS["augmentation: mixup"]().run()
    text = run.script()
    restart = "    augmenter = Augmenter('mixup', seed=0)\n    losses = []"
    assert restart in text
    losses = printed(run_script(text.replace(restart, "    losses = []"), tmp_path))
    assert [losses[s] for s in sorted(losses)] != pytest.approx(run.losses, **TOL)


def test_a_run_without_a_recipe_has_no_script():
    """A network the trainer cannot rebuild is not exported with a guess: no script at all."""
    from torch import nn

    from dlcore import Trainer
    from dlcore.config import DataConfig
    from dlcore.data import load

    layer = nn.Linear(2, 2)
    trainer = Trainer(layer, load(DataConfig(n_samples=40)), TrainConfig(steps=2), [("output", layer)], device="cpu")
    assert not trainer.has_script() and trainer.script() is None


def test_the_csv_of_any_run_holds_its_recorded_numbers():
    from dlcore.labs.gan import GANTrainConfig, GANTrainer
    from ui.downloads import recorded_csv
    from ui.live import LiveRun

    trainers = {"CNN": TRAINERS["cnn: the CNN"]().run(), "GAN": GANTrainer(train=GANTrainConfig(steps=5)).run()}
    rows = list(csv.DictReader(io.StringIO(recorded_csv(LiveRun("x.run", "h", trainers, lambda: trainers)))))
    cnn_rows = [r for r in rows if r["run"] == "CNN"]
    records = trainers["CNN"].recorder.records
    assert [int(r["step"]) for r in cnn_rows] == [r.step for r in records]
    assert [float(r["val_loss"]) for r in cnn_rows] == [r.val_loss for r in records]
    assert float(cnn_rows[-1]["conv 1: grad_norm"]) == records[-1].layers[0].grad_norm
    gan_rows = [r for r in rows if r["run"] == "GAN"]
    assert [int(r["step"]) for r in gan_rows] == [1, 2, 3, 4, 5]
    assert [float(r["g_loss"]) for r in gan_rows] == trainers["GAN"].g_losses
