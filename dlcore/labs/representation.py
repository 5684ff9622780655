"""Representation learning: what a network's hidden layers make of the digits, measured as data.

A trained network is a chain of re-descriptions of its input: each hidden layer maps the one
before to a new vector, and training shapes these vectors so that the last one is easy to
classify with a *linear* head. Three measurements make that visible:

- a **2-D view** of each layer's representation (its first two principal components) with the
  classes in colour, over training, next to the same view of the raw pixels;
- a **separation score** over training: the leave-one-out 5-nearest-neighbour accuracy of the
  validation images in each layer's space, and the Fisher ratio (between-class / within-class
  variance) of the 2-D view;
- a **linear probe** per layer (Alain & Bengio, 2016): logistic regression trained on the frozen
  features of a few labelled images, scored on the validation images. Features are more useful
  the more a linear classifier can do with them.

Transfer learning reuses a network trained on a *source* task as the starting point of a
*target* task with few labels: its frozen features under a new linear head (a probe), or the
whole network trained further (fine-tuning). It helps only when the source task needed the
features the target needs (Yosinski et al., 2014, "How transferable are features in deep neural
networks?"): here a network trained to tell 0–4 apart is compared with one trained on all ten
digits, both then asked to tell 5–9 apart from a handful of labels.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import data as data_mod
from ..checks import check, check_choice, check_range
from ..config import DataConfig, ModelConfig, TrainConfig
from ..models import MLP, build
from ..trainer import MLPTrainer, Stepwise, Trainer

# ------------------------------------------------------------------ the configs


@dataclass(frozen=True)
class RepresentationConfig:
    """The network trained on the digits, how often its representation is photographed, and the
    probes' budget of labels."""

    depth: int = 3  # hidden layers
    width: int = 32  # units per hidden layer
    steps: int = 400  # optimizer steps (Adam, mini-batches of 32)
    lr: float = 0.01  # learning rate
    snapshot_every: int = 20  # steps between two views of the representation
    probe_labels: int = 50  # labelled training images each linear probe learns from
    seed: int = 0  # the split, the initial weights and the batch order

    def __post_init__(self) -> None:
        check_range("hidden layers", self.depth, 1, 6)
        check_range("width", self.width, 2, 512)
        check_range("steps", self.steps, 1, 20_000)
        check_range("learning rate", self.lr, 0.0, 10.0, low_open=True)
        check_range("steps between snapshots", self.snapshot_every, 1, 10_000)
        check_range("labels for the probes", self.probe_labels, 10, 1258)

    def configs(self) -> tuple[DataConfig, ModelConfig, TrainConfig]:
        return (DataConfig(name="digits", n_samples=1797, seed=self.seed),
                ModelConfig(depth=self.depth, width=self.width),
                TrainConfig(optimizer="adam", lr=self.lr, steps=self.steps, batch_size=32,
                            record_every=self.snapshot_every, seed=self.seed))


SOURCES = ("digits 0–4", "all ten digits")  # what the source network was trained to tell apart


@dataclass(frozen=True)
class TransferConfig:
    """Transfer to digits 5–9 from a few labels, from a narrow and a broad source task."""

    labels_per_class: int = 5  # labelled target images per digit 5…9
    repeats: int = 3  # draws of the labelled images; results are averaged over them
    width: int = 64  # units per hidden layer of the source network (2 hidden layers)
    source_steps: int = 250  # training steps on the source task
    target_steps: int = 60  # full-batch steps of fine-tuning, and of training from scratch
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("labels per class", self.labels_per_class, 1, 50)
        check_range("repeats", self.repeats, 1, 20)
        check_range("width", self.width, 2, 512)
        check_range("source steps", self.source_steps, 1, 20_000)
        check_range("target steps", self.target_steps, 1, 20_000)


# ------------------------------------------------------------------ reading the layers


@torch.no_grad()
def layer_features(model: MLP, x: torch.Tensor) -> list[torch.Tensor]:
    """The representation of ``x`` at every depth, in eval mode: ``[pixels, layer 1, …]``, each
    (n, features) on the CPU. The model's mode is left as it was: a model in eval mode is only read
    (a finished run's, shared by many sessions, is never switched)."""
    training = model.training
    if training:
        model.eval()
    h = x.to(next(model.parameters()).device)  # (n, 64)
    out = [h.cpu()]
    for block in model.blocks:
        h = block(h)  # (n, width)
        out.append(h.cpu())
    if training:
        model.train()
    return out


def pca_2d(features: torch.Tensor, like: np.ndarray | None = None) -> np.ndarray:
    """The first two principal components of ``features`` (n, d): (n, 2) float32 coordinates.

    A principal direction's sign is arbitrary; given the previous view ``like`` (n, 2), each
    component is flipped to agree with it, so an animation over training does not jump.
    """
    centred = features.double() - features.double().mean(dim=0)  # (n, d)
    u, s, _ = torch.linalg.svd(centred, full_matrices=False)
    coords = (u[:, :2] * s[:2]).numpy()  # (n, ≤ 2)
    if coords.shape[1] < 2:
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    if like is not None:
        signs = np.where((coords * like).sum(axis=0) < 0, -1.0, 1.0)
        coords = coords * signs
    return coords.astype(np.float32)


def knn_accuracy(features: torch.Tensor, labels: torch.Tensor, k: int = 5) -> float:
    """Leave-one-out k-nearest-neighbour accuracy: each point takes the majority class of its
    ``k`` nearest other points (Euclidean). High when classes form tight, separate groups."""
    check(len(labels) > k, f"k-NN needs more than k = {k} points, got {len(labels)}")
    dist = torch.cdist(features.float(), features.float())  # (n, n)
    dist.fill_diagonal_(float("inf"))
    nearest = dist.topk(k, largest=False).indices  # (n, k)
    votes = F.one_hot(labels[nearest], int(labels.max()) + 1).sum(dim=1)  # (n, classes)
    return (votes.argmax(dim=1) == labels).float().mean().item()


def fisher_ratio(coords: np.ndarray, labels: np.ndarray) -> float:
    """Between-class over within-class scatter of points (n, d): Σ_c n_c‖μ_c − μ‖² / Σ‖x − μ_c‖²."""
    mu = coords.mean(axis=0)
    between = within = 0.0
    for c in np.unique(labels):
        pts = coords[labels == c]
        centre = pts.mean(axis=0)
        between += len(pts) * float(((centre - mu) ** 2).sum())
        within += float(((pts - centre) ** 2).sum())
    return between / max(within, 1e-12)


def linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                 l2: float = 1e-3, iterations: int = 60) -> float:
    """Logistic regression on frozen features; returns its accuracy on ``test``.

    The features are standardised with the training rows' mean and std, then a softmax
    classifier ``W·x + b`` minimises cross-entropy + ``l2·‖W‖²`` by L-BFGS (full batch).
    Nothing flows back into the network that made the features: it only measures them.
    """
    check(len(train_y) >= 2, "a probe needs at least two labelled examples")
    mean, std = train_x.mean(dim=0), train_x.std(dim=0, correction=0) + 1e-6
    a, b = (train_x - mean) / std, (test_x - mean) / std  # (n, d)
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    w = torch.zeros(a.shape[1], n_classes, dtype=a.dtype, requires_grad=True)
    bias = torch.zeros(n_classes, dtype=a.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([w, bias], lr=1, max_iter=iterations, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(a @ w + bias, train_y) + l2 * (w * w).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    with torch.no_grad():
        return ((b @ w + bias).argmax(dim=1) == test_y).float().mean().item()


# ------------------------------------------------------------------ the live run


@dataclass(frozen=True)
class Snapshot:
    """The validation images' representation at one step: per depth (pixels first)."""

    step: int
    coords: tuple[np.ndarray, ...]  # (n_val, 2) PCA view of each depth
    knn: tuple[float, ...]  # leave-one-out 5-NN accuracy of each depth
    fisher: tuple[float, ...]  # Fisher ratio of each depth's 2-D view


class RepresentationRun(Stepwise):
    """An MLP trained on the digits (through ``MLPTrainer``), photographed every
    ``snapshot_every`` steps: the 2-D view and the separation of each layer's representation.

    ``trainer`` is the run itself (its recorder has the loss curves); ``initial`` a copy of the
    untrained network, for "before training" probes: only ever measured, it is read-only from the
    start (eval mode, no grad), so every copy of the run shares it.
    """

    def __init__(self, cfg: RepresentationConfig, device: torch.device | str | None = None):
        self.cfg = cfg
        data, model, train = cfg.configs()
        self.trainer = MLPTrainer(data, model, train, device=device)
        self.train_cfg = train
        self.initial = copy.deepcopy(self.trainer.model).cpu().eval().requires_grad_(False)
        ds = self.trainer.dataset
        self.labels = ds.y_val.cpu()  # (n_val,)
        self.snapshots: list[Snapshot] = []
        self._snap()

    # Stepwise's contract, read from the trainer
    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def status(self) -> str:
        return self.trainer.status

    @property
    def message(self) -> str:
        return self.trainer.message

    @property
    def recorder(self):
        return self.trainer.recorder

    @property
    def dataset(self):
        return self.trainer.dataset

    def has_script(self) -> bool:
        return True

    def script(self, title: str = "An experiment") -> str:
        return self.trainer.script(title)

    def rows(self) -> list[dict]:
        return self.trainer.rows()

    # Shared by many sessions (ui.results): a snapshot shares the data, the untrained network and the
    # snapshots so far (a step appends one, never changes one); the trainer's hooks make its network
    # read-only and writable again.
    def _shared_parts(self) -> tuple:
        return (*self.trainer._shared_parts(), self.initial, self.labels, *self.snapshots)

    def _read_only(self) -> None:
        self.trainer._read_only()

    def _writable(self) -> None:
        self.trainer._writable()

    def train_step(self) -> float:
        loss = self.trainer.train_step()
        if not self.trainer.diverged and (self.step % self.cfg.snapshot_every == 0 or self.done):
            self._snap()
        return loss

    def _snap(self) -> None:
        feats = layer_features(self.trainer.model, self.trainer.dataset.x_val)
        if not all(bool(torch.isfinite(f).all()) for f in feats):
            return  # a diverged network has nothing to show
        previous = self.snapshots[-1].coords if self.snapshots else [None] * len(feats)
        coords = tuple(pca_2d(f, like) for f, like in zip(feats, previous))
        y = self.labels.numpy()
        self.snapshots.append(Snapshot(
            self.step, coords,
            tuple(knn_accuracy(f, self.labels) for f in feats),
            tuple(fisher_ratio(c, y) for c in coords),
        ))

    def separation(self, attribute: str = "knn") -> tuple[np.ndarray, np.ndarray]:
        """(steps (s,), values (s, depth + 1)) of ``knn`` or ``fisher`` over the snapshots."""
        steps = np.array([s.step for s in self.snapshots], dtype=np.int64)
        return steps, np.array([getattr(s, attribute) for s in self.snapshots], dtype=np.float32)

    def first_layer_weights(self) -> np.ndarray:
        """The first hidden layer's weights as images: (width, 8, 8) float32, one per unit."""
        w = self.trainer.model.blocks[0].linear.weight.detach().cpu()  # (width, 64)
        return w.reshape(-1, 8, 8).numpy().astype(np.float32)


def neighbour_correlation(images: np.ndarray) -> float:
    """Correlation between the values of horizontally neighbouring pixels over images (n, h, w):
    about 0 for noise, higher the smoother the images."""
    a, b = images[:, :, :-1].ravel(), images[:, :, 1:].ravel()
    return float(np.corrcoef(a, b)[0, 1])


def depth_names(depth: int) -> list[str]:
    return ["pixels"] + [f"layer {i + 1}" for i in range(depth)]


@dataclass(frozen=True)
class ProbeResult:
    """Linear-probe accuracy per depth (pixels first), before and after training."""

    names: tuple[str, ...]
    before: tuple[float, ...]
    after: tuple[float, ...]
    labels: int


def probe_layers(run: RepresentationRun, labels: int | None = None) -> ProbeResult:
    """A linear probe on each depth of the untrained and of the trained network, fitted on the
    first ``labels`` training images (default ``cfg.probe_labels``; a random sample, since the
    split shuffles; at most all of them) and scored on the validation images."""
    ds = run.trainer.dataset
    n = min(labels or run.cfg.probe_labels, len(ds.y_train))
    x, y, xv, yv = ds.x_train[:n].cpu(), ds.y_train[:n].cpu(), ds.x_val.cpu(), ds.y_val.cpu()

    def probes(model: MLP) -> tuple[float, ...]:
        fit, test = layer_features(model, x), layer_features(model, xv)
        return tuple(linear_probe(a, y, b, yv) if torch.isfinite(a).all() else float("nan")
                     for a, b in zip(fit, test))

    return ProbeResult(tuple(depth_names(run.cfg.depth)), probes(run.initial), probes(run.trainer.model), n)


# ------------------------------------------------------------------ transfer learning

TRANSFER_METHODS = ("pixels + linear", "frozen layer 1 + linear", "frozen layer 2 + linear",
                    "fine-tune the whole network", "same network from scratch")


def transfer_split(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Digits centred and shuffled, cut into two disjoint halves: (source x, source y, target x,
    target y). The target half keeps only 5–9, relabelled 0–4."""
    x, y = data_mod.make_arrays(DataConfig(name="digits", n_samples=1797))
    order = np.random.default_rng(seed + 1).permutation(len(x))
    x, y = torch.from_numpy(x[order] - x.mean(axis=0)), torch.from_numpy(y[order])
    half = len(x) // 2
    target = y[half:] >= 5
    return x[:half], y[:half], x[half:][target], y[half:][target] - 5


def source_network(source: str, cfg: TransferConfig, device=None) -> tuple[MLP, float]:
    """A 2-hidden-layer MLP trained on the source half: only its digits 0–4 ("digits 0–4"), or
    an equally large random sample of all ten ("all ten digits") — same number of images, only
    the classes differ. Returns the network and its accuracy on held-out source images."""
    check_choice("source task", source, SOURCES)
    xs, ys, _, _ = transfer_split(cfg.seed)
    narrow = torch.nonzero(ys < 5).squeeze(1)
    if source == SOURCES[0]:
        keep = narrow
    else:
        keep = torch.randperm(len(ys), generator=torch.Generator().manual_seed(cfg.seed))[: len(narrow)]
    x, y = xs[keep], ys[keep]
    n_val = len(y) // 5
    ds = data_mod.Dataset(x[n_val:], y[n_val:], x[:n_val], y[:n_val], 64, int(y.max()) + 1, source)
    model = build(64, ds.n_classes, ModelConfig(depth=2, width=cfg.width), seed=cfg.seed)
    train = TrainConfig(optimizer="adam", lr=0.01, steps=cfg.source_steps, record_every=cfg.source_steps,
                        seed=cfg.seed)
    trainer = Trainer(model, ds, train, device=device).run()
    return model.cpu(), float(trainer.recorder.records[-1].val_acc)


def _few_labels(y: torch.Tensor, per_class: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of ``per_class`` labelled examples of each class, and of all the others."""
    g = torch.Generator().manual_seed(seed)
    picked = []
    for c in range(int(y.max()) + 1):
        members = torch.nonzero(y == c).squeeze(1)
        picked.append(members[torch.randperm(len(members), generator=g)[:per_class]])
    labelled = torch.cat(picked)
    rest = torch.ones(len(y), dtype=torch.bool)
    rest[labelled] = False
    return labelled, torch.nonzero(rest).squeeze(1)


def _train_on_few(model: MLP, x, y, xt, yt, cfg: TransferConfig, lr: float, seed: int) -> float:
    """Train ``model`` full batch on the labelled (x, y); accuracy on the rest (xt, yt)."""
    ds = data_mod.Dataset(x, y, xt, yt, 64, 5, "digits 5–9")
    train = TrainConfig(optimizer="adam", lr=lr, steps=cfg.target_steps, batch_size=len(y),
                        record_every=cfg.target_steps, seed=seed)
    trainer = Trainer(model, ds, train, device="cpu").run()
    return float(trainer.recorder.records[-1].val_acc)


def with_new_head(source: MLP, n_classes: int, seed: int) -> MLP:
    """A copy of ``source`` whose output layer is replaced by a fresh one for ``n_classes``."""
    model = copy.deepcopy(source)
    model.head = nn.Linear(model.head.in_features, n_classes)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bound = 1 / model.head.in_features ** 0.5
        model.head.weight.uniform_(-bound, bound, generator=g)
        model.head.bias.zero_()
    return model


@dataclass(frozen=True)
class TransferResult:
    """Target accuracy on digits 5–9 per source and method: mean and std over label draws."""

    labels_per_class: int
    mean: dict[str, dict[str, float]]  # source -> method -> mean accuracy
    std: dict[str, dict[str, float]]
    source_acc: dict[str, float]  # each source network's accuracy on its own held-out images


def transfer(cfg: TransferConfig = TransferConfig(), device=None) -> TransferResult:
    """Each method of ``TRANSFER_METHODS`` with each source of ``SOURCES``, on ``repeats`` draws
    of ``labels_per_class`` labelled target images; the other target images are the test."""
    _, _, xt, yt = transfer_split(cfg.seed)
    trained = {s: source_network(s, cfg, device) for s in SOURCES}
    sources = {s: net for s, (net, _) in trained.items()}
    scores = {s: {m: [] for m in TRANSFER_METHODS} for s in SOURCES}
    for r in range(cfg.repeats):
        lab, rest = _few_labels(yt, cfg.labels_per_class, cfg.seed * 100 + r)
        x, y, xr, yr = xt[lab], yt[lab], xt[rest], yt[rest]
        pixels = linear_probe(x, y, xr, yr)
        scratch = _train_on_few(build(64, 5, ModelConfig(depth=2, width=cfg.width), seed=cfg.seed * 100 + r),
                                x, y, xr, yr, cfg, lr=0.003, seed=r)
        for s, net in sources.items():
            fit, test = layer_features(net, x), layer_features(net, xr)
            found = {
                TRANSFER_METHODS[0]: pixels,
                TRANSFER_METHODS[1]: linear_probe(fit[1], y, test[1], yr),
                TRANSFER_METHODS[2]: linear_probe(fit[2], y, test[2], yr),
                TRANSFER_METHODS[3]: _train_on_few(with_new_head(net, 5, r), x, y, xr, yr, cfg, lr=0.003, seed=r),
                TRANSFER_METHODS[4]: scratch,
            }
            for m, v in found.items():
                scores[s][m].append(v)
    return TransferResult(
        cfg.labels_per_class,
        {s: {m: float(np.mean(v)) for m, v in ms.items()} for s, ms in scores.items()},
        {s: {m: float(np.std(v)) for m, v in ms.items()} for s, ms in scores.items()},
        {s: acc for s, (_, acc) in trained.items()},
    )


# ------------------------------------------------------------------ the page's default run

REPRESENTATION = RepresentationConfig()
TRANSFER = TransferConfig()


def default_experiment(device) -> dict:
    """What the page runs by default: the network trained to the end with its snapshots, the
    probes per layer, and the transfer comparison."""
    run = RepresentationRun(REPRESENTATION, device=device).run()
    return {"run": run, "probes": probe_layers(run), "transfer": transfer(TRANSFER, device)}
