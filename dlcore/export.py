"""Export an experiment as one self-contained PyTorch script (torch and numpy only).

``mlp_script(data, model, train)`` writes a ``.py`` file's text that rebuilds what
``MLPTrainer(data, model, train)`` trains — the data set (the toy generator's own source, or the
8×8 digits embedded), the MLP and its initialization, the optimizer, the learning-rate schedule,
the order of the mini-batches and the dropout masks — and trains it, printing the loss curve.
Same configs and seed, same numbers: the test suite runs exported scripts and compares their
losses with the app's.

A run that trained on data its ``DataConfig`` cannot regenerate — a student's upload
(``dlcore.upload``), or labels dealt out at random — passes that data as ``dataset=`` (the
trainer's ``Dataset``, or the ``UploadedData`` with the split the ``DataConfig`` asks for): the
script then embeds the very tensors the run trained on (zlib + base64, as the digits are).
"""

from __future__ import annotations

import base64
import inspect
import textwrap
import zlib
from dataclasses import asdict

import numpy as np

from . import data as data_mod
from .config import DataConfig, ModelConfig, TrainConfig
from .layers.activations import LEAKY_SLOPE
from .layers.initialization import resolve
from .upload import UploadedData

HEADER = '''"""{title}

Exported from DL Fundamentals Lab: a self-contained script (torch and numpy only) that rebuilds
the experiment — data, network, initialization, optimizer, schedule, batch order, dropout masks —
and trains it, printing the loss of each mini-batch. Same seed, same numbers as the app.

    data:  {data}
    model: {model}
    train: {train}
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)  # as the app trains on a 2-core machine; results do not depend on it
'''

MODEL_AND_TRAINING = '''

# ---------------------------------------------------------------- the network
ACTIVATIONS = {{"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU({leaky}), "sigmoid": nn.Sigmoid,
               "tanh": nn.Tanh, "gelu": nn.GELU, "identity": nn.Identity}}


class InvertedDropout(nn.Module):
    """PyTorch's dropout (keep with probability q = 1 - p, scale the kept by 1/q while training),
    with masks from the run's own seeded generator."""

    def __init__(self, p, seed):
        super().__init__()
        self.p, self.generator = p, torch.Generator().manual_seed(seed)

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        return x * (torch.rand(x.shape, generator=self.generator) < keep) / keep


class Block(nn.Module):
    """Linear -> [norm] -> activation -> [dropout]."""

    def __init__(self, n_in, n_out, seed):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.norm = {{"batch": lambda: nn.BatchNorm1d(n_out), "layer": lambda: nn.LayerNorm(n_out)}}.get(
            NORM, nn.Identity)()
        self.act = ACTIVATIONS[ACTIVATION]()
        self.dropout = InvertedDropout(DROPOUT, seed) if DROPOUT > 0 else nn.Identity()

    def forward(self, x):
        return self.dropout(self.act(self.norm(self.linear(x))))  # (batch, width)


class MLP(nn.Module):
    def __init__(self, n_in, n_out, seed):
        super().__init__()
        widths = [n_in] + [WIDTH] * DEPTH
        self.blocks = nn.ModuleList(Block(a, b, seed * 1000 + i) for i, (a, b) in enumerate(zip(widths, widths[1:])))
        self.head = nn.Linear(WIDTH, n_out)
        generator = torch.Generator().manual_seed(seed)
        for block in self.blocks:
            init_linear(block.linear, INIT, generator, bias=BIAS_INIT)
        init_linear(self.head, "zeros" if INIT == "zeros" else "xavier_normal", generator)

    def forward(self, x):
        h = x  # (batch, n_in)
        for i, block in enumerate(self.blocks):
            h = h + block(h) if (RESIDUAL and i > 0) else block(h)
        return self.head(h)  # (batch, n_out)


@torch.no_grad()
def init_linear(layer, scheme, generator, bias=0.0):
    """Draw the weights by ``scheme``; every bias starts at ``bias``."""
    fan_out, fan_in = layer.weight.shape
    std = {{"zeros": 0.0, "small_normal": 0.01, "large_normal": 1.0}}.get(scheme)
    if std is None:
        std = math.sqrt(2.0 / (fan_in + fan_out)) if scheme.startswith("xavier") else math.sqrt(2.0 / fan_in)
    if scheme == "zeros":
        layer.weight.zero_()
    elif scheme.endswith("uniform"):
        bound = math.sqrt(3.0) * std
        layer.weight.copy_(torch.rand(layer.weight.shape, generator=generator) * 2 * bound - bound)
    else:
        layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) * std)
    layer.bias.fill_(bias)


# ---------------------------------------------------------------- optimizer, schedule, batches
def make_optimizer(params):
    if OPTIMIZER == "sgd":
        return torch.optim.SGD(params, lr=LR, weight_decay=WEIGHT_DECAY)
    if OPTIMIZER in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, nesterov=OPTIMIZER == "nesterov",
                               weight_decay=WEIGHT_DECAY)
    if OPTIMIZER == "adagrad":
        return torch.optim.Adagrad(params, lr=LR, weight_decay=WEIGHT_DECAY)
    if OPTIMIZER == "rmsprop":
        return torch.optim.RMSprop(params, lr=LR, alpha=0.99, weight_decay=WEIGHT_DECAY)
    if OPTIMIZER == "adam":
        return torch.optim.Adam(params, lr=LR, betas=(MOMENTUM, 0.999), weight_decay=WEIGHT_DECAY)
    return torch.optim.AdamW(params, lr=LR, betas=(MOMENTUM, 0.999), weight_decay=WEIGHT_DECAY)


def lr_factor(step, total):
    """The multiplier of the learning rate at ``step`` of ``total``."""
    t = step / max(total, 1)
    if SCHEDULE == "step":
        return 1.0 if t < 0.5 else (0.1 if t < 0.75 else 0.01)
    if SCHEDULE == "cosine":
        return 0.5 * (1 + math.cos(math.pi * t))
    if SCHEDULE == "warmup_cosine":
        if t < 0.1:
            return (step + 1) / (0.1 * total)
        return 0.5 * (1 + math.cos(math.pi * (t - 0.1) / 0.9))
    return 1.0


class BatchOrder:
    """Mini-batch indices, epoch by epoch: a fresh seeded permutation each time one runs out."""

    def __init__(self, n, batch_size, seed):
        self.n, self.batch_size = n, min(batch_size, n)
        self.generator = torch.Generator().manual_seed(seed)
        self.perm, self.pos = torch.randperm(n, generator=self.generator), 0

    def peek(self):
        if self.pos + self.batch_size > self.n:
            self.perm, self.pos = torch.randperm(self.n, generator=self.generator), 0
        return self.perm[self.pos : self.pos + self.batch_size]

    def next(self):
        batch = self.peek()
        self.pos += self.batch_size
        return batch


# ---------------------------------------------------------------- train
def train():
    x_train, y_train, x_val, y_val, n_classes = load_data()
    model = MLP(x_train.shape[1], n_classes, SEED)
    optimizer = make_optimizer(model.parameters())
    scheduler = None if SCHEDULE == "constant" else torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, STEPS))
    batches = BatchOrder(len(y_train), BATCH_SIZE, SEED)
    # The app measures the untrained network on the first mini-batch before training: that
    # forward pass draws dropout masks too, so it is repeated here to keep the masks in step.
    F.cross_entropy(model(x_train[batches.peek()]), y_train[batches.peek()]).backward()
    losses = []
    for step in range(1, STEPS + 1):
        idx = batches.next()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        loss.backward()
        if GRAD_CLIP > 0:
            nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            print(f"step {{step}}: the loss became {{losses[-1]}} (diverged)")
            break
        if step % RECORD_EVERY == 0 or step == STEPS:
            print(f"step {{step:5d}}  mini-batch loss {{losses[-1]:.6f}}")
    model.eval()
    with torch.no_grad():
        val_loss = F.cross_entropy(model(x_val), y_val).item()
        val_acc = (model(x_val).argmax(dim=1) == y_val).float().mean().item()
    print(f"final: mini-batch loss {{losses[-1]:.6f}}, validation loss {{val_loss:.6f}}, accuracy {{val_acc:.4f}}")
    return losses, val_loss


if __name__ == "__main__":
    train()
'''

TOY_LOADER = '''

# ---------------------------------------------------------------- the data
{generator}

def load_data():
    """{n_samples} points of the '{name}' set (seed {seed}), shuffled and split as the app does."""
    rng = np.random.default_rng({seed})
    x, y = {name}({n_samples}, {noise!r}, rng)
    x = x.astype(np.float32)
    order = np.random.default_rng({seed} + 1).permutation(len(x))[:{n_samples}]
    n_val = max(1, int(round({val_fraction!r} * len(order))))
    val, train = order[:n_val], order[n_val:]
    return (torch.from_numpy(x[train]), torch.from_numpy(y[train]),
            torch.from_numpy(x[val]), torch.from_numpy(y[val]), int(y.max()) + 1)
'''

DIGITS_LOADER = '''

# ---------------------------------------------------------------- the data
# The 1,797 8×8 handwritten digits (UCI ML hand-written digits, via scikit-learn's copy), pixel
# values 0–16, zlib-compressed and base64-encoded: {n_images} images then their labels.
DIGITS = (
{chunks}
)


def load_data():
    """The digits scaled to [0, 1], shuffled (seed {seed}) and split as the app does; pixels centred
    with the training mean."""
    import base64
    import zlib

    raw = np.frombuffer(zlib.decompress(base64.b64decode("".join(DIGITS))), dtype=np.uint8)
    x = raw[: {n_images} * 64].reshape({n_images}, 64).astype(np.float32) / 16.0
    y = raw[{n_images} * 64 :].astype(np.int64)
    order = np.random.default_rng({seed} + 1).permutation(len(x))[:{n_samples}]
    n_val = max(1, int(round({val_fraction!r} * len(order))))
    val, train = order[:n_val], order[n_val:]
    x = x - x[train].mean(axis=0)
    return (torch.from_numpy(x[train]), torch.from_numpy(y[train]),
            torch.from_numpy(x[val]), torch.from_numpy(y[val]), int(y.max()) + 1)
'''


DATASET_LOADER = '''

# ---------------------------------------------------------------- the data
# The exact tensors the app trained on ({name}: {n_train} training and {n_val} validation examples,
# {n_features} features, {n_classes} classes, already split and standardised), zlib-compressed and
# base64-encoded: float32 x_train, x_val, then int64 y_train, y_val (little-endian).
DATA = (
{chunks}
)


def load_data():
    """The embedded training and validation sets, exactly as the app's run saw them."""
    import base64
    import zlib

    raw = zlib.decompress(base64.b64decode("".join(DATA)))
    sizes = [{n_train} * {n_features} * 4, {n_val} * {n_features} * 4, {n_train} * 8, {n_val} * 8]
    parts, start = [], 0
    for size in sizes:
        parts.append(raw[start : start + size])
        start += size
    x_train = np.frombuffer(parts[0], dtype="<f4").reshape({n_train}, {n_features}).copy()
    x_val = np.frombuffer(parts[1], dtype="<f4").reshape({n_val}, {n_features}).copy()
    y_train = np.frombuffer(parts[2], dtype="<i8").copy()
    y_val = np.frombuffer(parts[3], dtype="<i8").copy()
    return (torch.from_numpy(x_train), torch.from_numpy(y_train),
            torch.from_numpy(x_val), torch.from_numpy(y_val), {n_classes})
'''


def _plain_name(name: str) -> str:
    """A data set's name as it may sit in the script's comments and docstring."""
    return "".join(ch for ch in name if ch.isprintable() and ch not in "{}\\\"'") or "data"


def _embedded_loader(ds: data_mod.Dataset) -> str:
    """A ``load_data`` that returns exactly the tensors of ``ds``."""
    arrays = [ds.x_train.detach().cpu().numpy().astype("<f4"), ds.x_val.detach().cpu().numpy().astype("<f4"),
              ds.y_train.detach().cpu().numpy().astype("<i8"), ds.y_val.detach().cpu().numpy().astype("<i8")]
    n_train, n_features = arrays[0].reshape(len(arrays[2]), -1).shape
    raw = b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)
    encoded = base64.b64encode(zlib.compress(raw, 9)).decode()
    chunks = "\n".join(f'    "{encoded[i:i + 100]}"' for i in range(0, len(encoded), 100))
    return DATASET_LOADER.format(chunks=chunks, name=_plain_name(ds.name), n_train=n_train, n_val=len(arrays[3]),
                                 n_features=n_features, n_classes=ds.n_classes)


def _settings(model: ModelConfig, train: TrainConfig) -> str:
    values = dict(
        DEPTH=model.depth, WIDTH=model.width, ACTIVATION=model.activation, INIT=resolve(model.init, model.activation),
        DROPOUT=model.dropout, NORM=model.norm, RESIDUAL=model.residual, BIAS_INIT=model.bias_init,
        OPTIMIZER=train.optimizer, LR=train.lr, MOMENTUM=train.momentum, WEIGHT_DECAY=train.weight_decay,
        BATCH_SIZE=train.batch_size, STEPS=train.steps, GRAD_CLIP=train.grad_clip, SCHEDULE=train.schedule,
        RECORD_EVERY=train.record_every, SEED=train.seed,
    )
    return "\n\n# ---------------------------------------------------------------- the settings\n" + "\n".join(
        f"{k} = {v!r}" for k, v in values.items()) + "\n"


def _data_loader(data: DataConfig) -> str:
    if data.name == "digits":
        with np.load(data_mod.DIGITS_PATH) as f:
            images, target = f["images"], f["target"]
        raw = np.concatenate([images.reshape(-1).astype(np.uint8), target.astype(np.uint8)]).tobytes()
        encoded = base64.b64encode(zlib.compress(raw, 9)).decode()
        chunks = "\n".join(f'    "{encoded[i:i + 100]}"' for i in range(0, len(encoded), 100))
        return DIGITS_LOADER.format(chunks=chunks, n_images=len(images), **asdict(data))
    generator = textwrap.dedent(inspect.getsource(data_mod.TOY_SETS[data.name]))
    return TOY_LOADER.format(generator=generator, **asdict(data))


def mlp_script(data: DataConfig, model: ModelConfig, train: TrainConfig, title: str = "An experiment",
               dataset: data_mod.Dataset | UploadedData | None = None) -> str:
    """The text of a self-contained script that trains ``MLPTrainer(data, model, train)`` again —
    or, given ``dataset`` (the trainer's ``Dataset``, or an ``UploadedData`` split as ``data`` asks),
    ``MLPTrainer(data, model, train, dataset=...)`` on exactly that data, embedded in the script."""
    if isinstance(dataset, UploadedData):
        dataset = dataset.to_dataset(data)
    described = data if dataset is None else f"{_plain_name(dataset.name)} (embedded below); split by {data}"
    header = HEADER.format(title=title, data=described, model=model, train=train)
    loader = _data_loader(data) if dataset is None else _embedded_loader(dataset)
    return header + _settings(model, train) + loader + MODEL_AND_TRAINING.format(leaky=LEAKY_SLOPE)
