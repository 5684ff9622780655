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

import ast
import base64
import importlib
import inspect
import re
import sys
import textwrap
import zlib
from dataclasses import asdict, dataclass, is_dataclass

import numpy as np
import torch

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


def regenerates(data: DataConfig, ds: data_mod.Dataset) -> bool:
    """Whether ``ds`` is exactly what ``data`` regenerates — else the run trained on data of its own
    (an upload, labels dealt out at random), which its script must carry."""
    try:
        fresh = data_mod.load(data)
    except ValueError:
        return False
    return all(mine.shape == theirs.shape and torch.equal(mine.cpu(), theirs)
               for mine, theirs in [(ds.x_train, fresh.x_train), (ds.y_train, fresh.y_train),
                                    (ds.x_val, fresh.x_val), (ds.y_val, fresh.y_val)])


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


# ==================================================================== any run, by its own code
# Runs other than the plain MLP export through the code that trains them in the app: the script
# carries the source of every function and class of this package that the run needs (found by
# reading the code, ``bundle``), so the network, its initialization and the loss are the app's own
# lines, not a copy that could drift from them. What a package module holds that the run does not
# use is left out.


@dataclass(frozen=True)
class Recipe:
    """How a network was built — ``fn(*args, **kwargs)`` — so that a script can build it again.

    ``Recipe(build_cnn, (cfg,), {"seed": 0}).build()`` returns the network and remembers the
    recipe on it (``model.recipe``), which is how a ``Trainer`` knows how to export it. The
    arguments must be literals or configs (frozen dataclasses) whose ``repr`` is valid Python.
    """

    fn: object
    args: tuple = ()
    kwargs: tuple = ()  # (name, value) pairs, in order

    def __init__(self, fn, args=(), kwargs=None):
        object.__setattr__(self, "fn", fn)
        object.__setattr__(self, "args", tuple(args))
        object.__setattr__(self, "kwargs", tuple((kwargs or {}).items()))

    def build(self):
        model = self.fn(*self.args, **dict(self.kwargs))
        model.recipe = self
        return model

    def code(self) -> str:
        """The call as Python source: ``build_cnn(CNNConfig(channels=8, …), seed=0)``."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.fn.__name__}({', '.join(parts)})"

    def roots(self) -> list:
        """What the script must define to run ``code()``: the function and the configs' classes."""
        values = list(self.args) + [v for _, v in self.kwargs]
        return [self.fn] + [type(v) for v in values if is_dataclass(v)]


def _package() -> str:
    return __name__.rsplit(".", 1)[0]


def _ours(value) -> bool:
    module = getattr(value, "__module__", None) if not inspect.ismodule(value) else value.__name__
    return isinstance(module, str) and (module == _package() or module.startswith(_package() + "."))


def _free_names(tree: ast.AST) -> tuple[set[str], dict[str, set[str]]]:
    """The names a piece of code reads but does not bind (annotations left out: the script defers
    them), and for each name the attributes read from it (``activations.module`` → module)."""
    bound, loaded, attrs = set(), set(), {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
            for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs:
                a.annotation = None
                bound.add(a.arg)
            for a in (node.args.vararg, node.args.kwarg):
                if a is not None:
                    a.annotation = None
                    bound.add(a.arg)
        elif isinstance(node, ast.AnnAssign):
            node.annotation = ast.Constant(None)
        elif isinstance(node, ast.Lambda):
            bound.update(a.arg for a in node.args.args)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            attrs.setdefault(node.value.id, set()).add(node.attr)
    return loaded - bound, attrs


def _assignment(module, name: str) -> tuple[object, str] | None:
    """The module-level statement that gives ``name`` its value in ``module`` (following the
    package's relative imports): (defining module, its source)."""
    source = inspect.getsource(module)
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return module, ast.get_source_segment(source, node)
        if isinstance(node, ast.ImportFrom) and node.level and any(a.name == name for a in node.names):
            base = module.__name__ if hasattr(module, "__path__") else module.__name__.rpartition(".")[0]
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = importlib.import_module(f"{base}.{node.module}" if node.module else base)
            return _assignment(target, name)
    return None


EXPORT_METHODS = ("script", "script_parts", "rows",  # how a run exports itself: no part of the script
                  # nor how the app shares a run between sessions (ui.results): a script trains alone
                  "freeze", "snapshot", "trainable_copy", "_copy", "_shared_parts", "_read_only", "_writable", "memo")


def _without_export(source: str) -> str:
    """A class's source without its export methods (a script does not export itself)."""
    tree = ast.parse(source)
    if not tree.body or not isinstance(tree.body[0], ast.ClassDef):
        return source
    lines = source.splitlines(keepends=True)
    for node in reversed(tree.body[0].body):
        if isinstance(node, ast.FunctionDef) and node.name in EXPORT_METHODS:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            end = node.end_lineno
            while end < len(lines) and not lines[end].strip():
                end += 1  # the blank lines after it go too
            del lines[start:end]
    return "".join(lines)


class _Bundle:
    """The source of everything some functions and classes of this package need, in an order that
    defines each before it is used, and the imports of the rest (torch, numpy, the standard library)."""

    def __init__(self):
        self.imports: dict[str, None] = {}
        self.parts: dict[str, tuple[object, str]] = {}  # name -> (object, source)

    def add(self, value, name: str | None = None) -> None:
        """Add a function or class of this package, or a constant given as (module, its statement)."""
        name = name or value.__name__
        if isinstance(value, tuple):  # a constant: its assignment, from the module that holds it
            module, source = value
            namespace, value = vars(module), ("constant", module.__name__, name)
        else:
            source = _without_export(textwrap.dedent(inspect.getsource(value)))
            namespace = vars(sys.modules[value.__module__])
        if name in self.parts:
            if self.parts[name][0] != value:
                raise ValueError(f"two different definitions of {name!r} would share one name in the script")
            return
        self.parts[name] = (value, "")  # placeholder: a cycle stops here
        free, attrs = _free_names(ast.parse(source))
        for dep in sorted(free):
            if dep not in namespace:
                continue  # a builtin
            source = self._resolve(dep, namespace[dep], namespace, attrs.get(dep, set()), source)
        if not isinstance(value, tuple) and name != value.__name__:
            source += f"\n\n{name} = {value.__name__}"
        self.parts.pop(name)
        self.parts[name] = (value, source)  # after its dependencies

    def _resolve(self, name: str, value, namespace: dict, attrs: set[str], source: str) -> str:
        if inspect.ismodule(value):
            if not _ours(value):
                alias = "" if value.__name__ == name else f" as {name}"
                self.imports[f"import {value.__name__}{alias}"] = None
                return source
            for attr in sorted(attrs):  # a module of ours read as ``module.attr``: its attributes inlined
                self._add_name(attr, getattr(value, attr), value)
            return re.sub(rf"(?<![\w.]){name}\.", "", source)
        self._add_name(name, value, sys.modules[namespace["__name__"]])
        return source

    def _add_name(self, name: str, value, module) -> None:
        if (inspect.isfunction(value) or inspect.isclass(value)) and _ours(value):
            self.add(value, name)
        elif inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value):
            origin = value.__module__
            alias = "" if value.__name__ == name else f" as {name}"
            self.imports[f"from {origin} import {value.__name__}{alias}"] = None
        else:
            found = _assignment(module, name)
            if found is None:
                raise ValueError(f"cannot find where {name!r} of {module.__name__} is defined")
            self.add(found, name)

    def text(self) -> str:
        return "\n\n\n".join(source.strip() for _, source in self.parts.values())


def bundle(*roots) -> tuple[str, str]:
    """(imports, definitions): the source of ``roots`` (functions and classes of this package) and
    of everything of this package they use, and the import lines for everything else."""
    b = _Bundle()
    for root in roots:
        b.add(root)
    return "\n".join(sorted(b.imports)), b.text()


@dataclass(frozen=True)
class ScriptParts:
    """What a ``Trainer`` subclass tells ``trainer_script`` about its run. Code strings are lines of
    the script's ``train()``; they may use ``model``, ``optimizer``, ``x`` and ``y`` (the mini-batch)
    and ``output`` (in ``measure``), and the functions of ``roots``, which the script defines."""

    model: Recipe  # how the network is built
    loss: str  # sets ``loss``, the mini-batch's loss, from ``model``, ``x``, ``y``
    measure: str  # the per-example losses ``(n,)`` of ``output`` against ``y``, as the recorder measures
    roots: tuple = ()  # functions and classes of the package that ``loss``, ``measure`` or ``setup`` call
    setup: str = ""  # before the first step (e.g. an augmenter, with its seeded generators)
    restart: str = ""  # after the untrained network's measurement (e.g. the augmenter drawn afresh)
    zero_grad: bool = True  # False: the gradients pile up (the forgotten zero_grad bug)
    eval_mode: bool = True  # False: measured in training mode (the forgotten model.eval() bug)


RUN_HEADER = '''"""{title}

Exported from DL Fundamentals Lab: a self-contained script (torch and numpy only) that trains the
run again with the app's own code for it — the network and its seeded initialization, the loss,
the optimizer, the schedule and the order of the mini-batches — on the very data the app used
(embedded below), printing the loss of each recorded step. Same seed, same numbers as the app.
"""

from __future__ import annotations

import base64
import zlib
{imports}

torch.set_num_threads(1)  # as the app's tests train; results do not depend on it
'''

ARRAYS_LOADER = '''

# ---------------------------------------------------------------- the data
# The exact tensors the app trained on ({name}), zlib-compressed and base64-encoded, one after the
# other in the order of LAYOUT (little-endian).
LAYOUT = {layout!r}
DATA = (
{chunks}
)


def load_data():
    """x_train, y_train, x_val, y_val exactly as the app's run saw them."""
    raw = zlib.decompress(base64.b64decode("".join(DATA)))
    tensors, start = [], 0
    for dtype, shape in LAYOUT:
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        tensors.append(torch.from_numpy(np.frombuffer(raw[start : start + size], dtype=dtype).reshape(shape).copy()))
        start += size
    return tensors
'''

RUN_TRAINING = '''

# ---------------------------------------------------------------- train, as the app's Trainer does
PROBE_SIZE = {probe}  # training examples measured with the validation set at a recorded step
DIVERGENCE_FACTOR = {divergence!r}  # a loss this many times the first step's ends the run


def train():
    x_train, y_train, x_val, y_val = load_data()
    model = {model}
    train_cfg = {train!r}
    optimizer = make_optimizer(train_cfg, model.parameters())
    scheduler = None
    if train_cfg.schedule != "constant":
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: lr_factor(train_cfg.schedule, s, train_cfg.steps))
    batches = BatchOrder(len(y_train), train_cfg.batch_size, train_cfg.seed)
{setup}
    def backward(idx):
        """Forward and backward on the mini-batch ``idx``, the network in training mode."""
        model.train()
{zero_grad}        x, y = x_train[idx], y_train[idx]
{loss}
        loss.backward()
        return loss

    # The app measures the untrained network's gradients on the first mini-batch before training:
    # that pass draws from the run's generators too (dropout masks, noise), so it is repeated here.
    backward(batches.peek())
    optimizer.zero_grad(set_to_none=True)
{restart}    losses = []
    for step in range(1, train_cfg.steps + 1):
        loss = backward(batches.next())
        if train_cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(list(model.parameters()), train_cfg.grad_clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]) or losses[-1] > DIVERGENCE_FACTOR * max(losses[0], 0.1):
            print(f"step {{step}}: the loss became {{losses[-1]}} (diverged)")
            break
        if step % train_cfg.record_every == 0 or step == train_cfg.steps:
            print(f"step {{step:5d}}  mini-batch loss {{losses[-1]:.6f}}")
    # Measured as the app's recorder does: the first PROBE_SIZE training examples and the
    # validation set in one pass{mode_note}.
    model.train({train_mode})
    n_probe = min(PROBE_SIZE, len(y_train))
    with torch.no_grad():
        output = model(torch.cat([x_train[:n_probe], x_val]))
        y = torch.cat([y_train[:n_probe], y_val])
        per_example = {measure}
    train_loss, val_loss = per_example[:n_probe].mean().item(), per_example[n_probe:].mean().item()
    print(f"final: mini-batch loss {{losses[-1]:.6f}}, validation loss {{val_loss:.6f}}, "
          f"training loss {{train_loss:.6f}} (first {{n_probe}} examples)")
    return losses, val_loss


if __name__ == "__main__":
    train()
'''


def _arrays_loader(ds: data_mod.Dataset) -> str:
    """A ``load_data`` returning exactly the four tensors of ``ds``, whatever their shapes and dtypes."""
    arrays = [getattr(ds, k).detach().cpu().numpy() for k in ("x_train", "y_train", "x_val", "y_val")]
    arrays = [a.astype(a.dtype.newbyteorder("<")) for a in arrays]
    layout = [(a.dtype.str, a.shape) for a in arrays]
    raw = b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)
    encoded = base64.b64encode(zlib.compress(raw, 9)).decode()
    chunks = "\n".join(f'    "{encoded[i:i + 100]}"' for i in range(0, len(encoded), 100))
    return ARRAYS_LOADER.format(layout=layout, chunks=chunks, name=_plain_name(ds.name))


def _lines(code: str, indent: int) -> str:
    return textwrap.indent(textwrap.dedent(code).strip("\n"), " " * indent) + "\n" if code.strip() else ""


def trainer_script(trainer, parts: ScriptParts, title: str = "An experiment") -> str:
    """The text of a self-contained script that trains ``trainer``'s run again (see ``ScriptParts``).

    It mirrors ``dlcore.trainer.Trainer``: the same optimizer, schedule and batch order (their
    code inlined), the untrained network's measurement pass, clipping, the divergence rule, and the
    final measurement of the probe and validation sets."""
    from . import trainer as trainer_mod  # the trainer imports this module: import it when used

    roots = [trainer_mod.make_optimizer, trainer_mod.lr_factor, trainer_mod.BatchOrder, type(trainer.train_cfg),
             *parts.model.roots(), *parts.roots]
    imports, definitions = bundle(*roots)
    imports = "\n".join(sorted(set(imports.splitlines()) | {"import math", "import numpy as np", "import torch",
                                                           "import torch.nn as nn"}))
    training = RUN_TRAINING.format(
        probe=trainer_mod.PROBE_SIZE, divergence=trainer_mod.DIVERGENCE_FACTOR, model=parts.model.code(),
        train=trainer.train_cfg, setup=_lines(parts.setup, 4), restart=_lines(parts.restart, 4),
        zero_grad=_lines("optimizer.zero_grad(set_to_none=True)" if parts.zero_grad else
                         "# (the bug: no optimizer.zero_grad(); the gradients pile up)", 8),
        loss=_lines(parts.loss, 8).rstrip("\n"), measure=parts.measure, train_mode=not parts.eval_mode,
        mode_note=", in eval mode" if parts.eval_mode else ", in training mode (the bug: model.eval() forgotten)")
    header = RUN_HEADER.format(title=_plain_name(title), imports=imports)
    section = "\n\n# ---------------------------------------------------------------- the app's code for this run\n"
    return header + section + definitions + "\n" + _arrays_loader(trainer.dataset) + training


STEPWISE_SCRIPT = '''"""{title}

Exported from DL Fundamentals Lab: a self-contained script (torch and numpy only) that runs the
experiment again with the app's own code for it (below, as the app defines it), step by step,
printing the loss of every step. Same seed, same numbers as the app.
"""

from __future__ import annotations

{imports}

torch.set_num_threads(1)  # as the app's tests train; results do not depend on it


# ---------------------------------------------------------------- the app's code for this run
{definitions}


# ---------------------------------------------------------------- run it
def train():
    run = {run}
    losses = []
    while not run.done:
        losses.append(run.train_step())
        print(f"step {{run.step:5d}}  {what} {{losses[-1]:.6f}}")
    print(f"final: {{run.status}} after {{run.step}} steps {{run.message}}")
    return losses


if __name__ == "__main__":
    train()
'''


def stepwise_script(recipe: Recipe, title: str = "An experiment", what: str = "loss") -> str:
    """A script that builds the run of ``recipe`` (a ``Stepwise`` class and its configs) with the
    app's own code and steps it to the end, printing ``what`` each step returns."""
    imports, definitions = bundle(*recipe.roots())
    imports = "\n".join(sorted(set(imports.splitlines()) | {"import torch"}))
    return STEPWISE_SCRIPT.format(title=_plain_name(title), imports=imports, definitions=definitions,
                                  run=recipe.code(), what=what)
