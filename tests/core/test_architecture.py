"""The house rules, checked: imports go one way, and the trainer and recorder are not tied to the
MLP — a convolutional and a recurrent network train through them with per-layer statistics."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from dlcore import Layer, TrainConfig, Trainer
from dlcore import data as data_mod
from dlcore.catalog import all_concepts
from dlcore.config import DataConfig

ROOT = Path(__file__).resolve().parents[2]
CORE = [p for p in (ROOT / "dlcore").rglob("*.py") if "labs" not in p.parts and p.name != "bench.py"]


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names |= {module} | {f"{module}.{a.name}" for a in node.names}
    return names


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_a_laboratory(path):
    assert not [m for m in imported_modules(path) if m.startswith("dlcore.labs")]


@pytest.mark.parametrize("path", list((ROOT / "dlcore").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_engine_never_imports_streamlit(path):
    assert not [m for m in imported_modules(path) if m.split(".")[0] == "streamlit"]


def test_importing_every_laboratory_loads_no_streamlit():
    labs = ", ".join(f"dlcore.labs.{c.slug}" for c in all_concepts())
    code = f"import sys, dlcore.bench, {labs}; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_the_import_direction_test_sees_relative_imports():
    """The check above would pass vacuously if relative imports were not resolved."""
    assert "dlcore.trainer.make_optimizer" in imported_modules(ROOT / "dlcore" / "labs" / "optimizers.py")


@pytest.mark.parametrize("concept", all_concepts(), ids=lambda c: c.slug)
def test_every_concept_has_its_pieces_where_its_slug_says(concept):
    assert (ROOT / concept.page).is_file() and (ROOT / concept.prose).is_file()
    assert callable(concept.lab().default_experiment)
    tests = ROOT / "tests" / "concepts" / concept.slug
    assert (tests / "test_claims.py").is_file() and (tests / "test_app.py").is_file()
    assert (tests / "test_browser.py").is_file()


def test_slugs_and_prefixes_are_unique():
    concepts = all_concepts()
    assert len({c.slug for c in concepts}) == len({c.prefix for c in concepts}) == len(concepts)


# ---------------------------------------------------------------- any network, one trainer
class SmallCNN(nn.Module):
    """Two 3×3 convolutions on the 8×8 digits, global average pooling, a linear head."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv1, self.conv2 = nn.Conv2d(1, 8, 3, padding=1), nn.Conv2d(8, 16, 3, padding=1)
        self.head = nn.Linear(16, 10)

    def forward(self, x):  # (batch, 1, 8, 8)
        h = torch.relu(self.conv1(x))  # (batch, 8, 8, 8)
        h = torch.relu(self.conv2(h))  # (batch, 16, 8, 8)
        return self.head(h.mean(dim=(2, 3)))  # (batch, 10)


class SmallGRU(nn.Module):
    """A GRU reading a sequence and classifying it from its last hidden state."""

    def __init__(self, n_in=1, hidden=16, n_out=2):
        super().__init__()
        torch.manual_seed(0)
        self.gru, self.head = nn.GRU(n_in, hidden, batch_first=True), nn.Linear(hidden, n_out)

    def forward(self, x):  # (batch, time, features)
        out, _ = self.gru(x)  # (batch, time, hidden)
        return self.head(out[:, -1])  # (batch, n_out)


def digit_images() -> data_mod.Dataset:
    ds = data_mod.load(DataConfig(name="digits", n_samples=400))
    as_images = {k: getattr(ds, k).reshape(-1, 1, 8, 8) for k in ("x_train", "x_val")}  # (n, 1, 8, 8)
    return data_mod.Dataset(as_images["x_train"], ds.y_train, as_images["x_val"], ds.y_val, 64, 10, "digits")


def sign_sequences(n=300, time=12) -> data_mod.Dataset:
    """Is the sum of the sequence positive? (n, time, 1) inputs, class ids."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, time, 1, generator=g)
    y = (x.sum(dim=(1, 2)) > 0).long()
    return data_mod.Dataset(x[:200], y[:200], x[200:], y[200:], 1, 2, "signs")


def assert_every_layer_measured(trainer: Trainer, activations: list[str]):
    for record in trainer.recorder.records:
        assert [s.name for s in record.layers] == [layer.name for layer in trainer.layers]
        for stats, layer in zip(record.layers, trainer.layers):
            assert math.isfinite(stats.grad_norm) and stats.grad_norm > 0 and math.isfinite(stats.weight_norm)
            if layer.activation is None:
                assert stats.act is None
            else:
                a = stats.act
                assert all(math.isfinite(v) for v in (a.mean, a.std, a.dead_frac, a.saturated_frac))
                assert a.hist.sum() == pytest.approx(1.0, abs=1e-5)
    later = trainer.recorder.records[1:]
    assert later and all(math.isfinite(s.update_ratio) and s.update_ratio > 0 for r in later for s in r.layers)


def test_a_cnn_trains_through_the_same_trainer_and_recorder():
    model = SmallCNN()
    layers = [Layer("conv 1", model.conv1, "identity"), Layer("conv 2", model.conv2, "identity"),
              Layer("output", model.head)]
    trainer = Trainer(model, digit_images(), TrainConfig(lr=0.01, steps=20, record_every=5), layers=layers,
                      device="cpu")
    trainer.run()
    assert trainer.status == "finished" and [r.step for r in trainer.recorder.records] == [0, 5, 10, 15, 20]
    assert_every_layer_measured(trainer, ["identity", "identity"])
    first, last = trainer.recorder.records[0], trainer.recorder.records[-1]
    assert last.train_loss < first.train_loss and 0 <= last.val_acc <= 1


def test_a_gru_trains_through_the_same_trainer_and_recorder():
    model = SmallGRU()
    layers = [("gru", model.gru, "tanh"), ("output", model.head)]  # plain tuples work too
    trainer = Trainer(model, sign_sequences(), TrainConfig(lr=0.01, steps=20, record_every=5), layers=layers,
                      device="cpu")
    trainer.run()
    assert trainer.status == "finished"
    assert_every_layer_measured(trainer, ["tanh"])
    gru_stats = trainer.recorder.records[-1].layers[0]
    # weight_ih and weight_hh both count: the norm is over the two matrices together.
    expected = torch.linalg.vector_norm(torch.cat([model.gru.weight_ih_l0.flatten(), model.gru.weight_hh_l0.flatten()]))
    assert gru_stats.weight_norm == pytest.approx(expected.item(), rel=1e-5)


def test_a_reconstruction_loss_trains_and_records_no_accuracy():
    ds = data_mod.load(DataConfig(name="digits", n_samples=300))
    autoencoder = nn.Sequential(nn.Linear(64, 8), nn.Tanh(), nn.Linear(8, 64))
    torch.manual_seed(0)
    data = data_mod.Dataset(ds.x_train, ds.x_train, ds.x_val, ds.x_val, 64, 0, "digits")
    layers = [("code", autoencoder[1], "tanh"), ("decoder", autoencoder[2])]
    trainer = Trainer(autoencoder, data, TrainConfig(lr=0.01, steps=30, record_every=10), layers=layers,
                      loss="mse", device="cpu").run()
    first, last = trainer.recorder.records[0], trainer.recorder.records[-1]
    assert last.val_loss < 0.8 * first.val_loss and math.isnan(last.val_acc)


def test_a_wrong_loss_name_is_a_sentence():
    with pytest.raises(ValueError, match="loss must be one of cross_entropy, mse"):
        Trainer(SmallGRU(), sign_sequences(), TrainConfig(steps=1), loss="hinge", device="cpu")
