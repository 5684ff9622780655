"""Deep learning vs classical machine learning, on the same digits, side by side.

Four classical methods from scikit-learn — logistic regression, a decision tree, gradient-boosted
trees and k-nearest neighbours — against the app's MLP trained through ``Trainer``, on

- **raw pixels** (64 numbers in [0, 1]) or **hand-made features**: the ink in each row and each
  column (8 + 8) and a HOG-like histogram of gradient orientations (Dalal & Triggs, 2005): in
  each quarter of the image, the gradient energy in 4 orientation bins (16) — 32 features;
- training sets of growing size (the same nested subsets for every method), scored on the same
  539 validation images.

Logistic regression, k-NN and the MLP see the features standardised (train mean and std); the
trees see them as they are, so that their rules read in ink — a tree's splits do not change
under such a rescaling. Fitting time is measured as CPU time of this process, on the thread budget the app
gives a run. A ``ClassicalRun`` does one (features, size) job per step, so a page can stream the
data-scaling curve as it grows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier, export_text
from threadpoolctl import threadpool_limits

from .. import data as data_mod
from ..checks import check, check_range
from ..config import ModelConfig, TrainConfig
from ..export import Recipe
from ..models import build
from ..trainer import Stepwise, Trainer

METHODS = ("logistic regression", "decision tree", "gradient boosting", "k-nearest neighbours", "MLP")
FEATURE_SETS = ("pixels", "hand-made")
TREES = ("decision tree", "gradient boosting")  # fitted on unscaled features: their rules read in ink
SIZES = (20, 50, 150, 500, 1258)  # training images; 1,258 is the whole training split
N_VAL = 539


# ------------------------------------------------------------------ data and features


def split(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits as images in [0, 1], shuffled by ``seed``: (train images (1258, 8, 8), train
    labels, validation images (539, 8, 8), validation labels) — the split every page uses."""
    images, labels = data_mod.digits_images()
    order = np.random.default_rng(seed + 1).permutation(len(labels))
    val, train = order[:N_VAL], order[N_VAL:]
    return images[train], labels[train], images[val], labels[val]


def hand_made_features(images: np.ndarray) -> np.ndarray:
    """32 features per image (n, 8, 8) -> (n, 32) float32: ink per row (8), ink per column (8),
    and in each 4×4 quarter the gradient magnitude summed in 4 orientation bins (0°, 45°, 90°,
    135°, unsigned) — a tiny HOG."""
    rows, cols = images.sum(axis=2), images.sum(axis=1)  # (n, 8) each
    gy, gx = np.gradient(images, axis=(1, 2))  # (n, 8, 8) each
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx) + np.pi / 8, np.pi)  # unsigned, bins centred on 0°, 45°, …
    bins = np.minimum((angle / (np.pi / 4)).astype(np.int64), 3)
    hog = []
    for r in (0, 4):
        for c in (0, 4):
            m, b = magnitude[:, r:r + 4, c:c + 4], bins[:, r:r + 4, c:c + 4]
            hog += [(m * (b == k)).sum(axis=(1, 2)) for k in range(4)]
    return np.concatenate([rows, cols, np.stack(hog, axis=1)], axis=1).astype(np.float32)


def feature_names(features: str) -> list[str]:
    if features == "pixels":
        return [f"pixel (row {r}, col {c})" for r in range(8) for c in range(8)]
    quarters = ("top-left", "top-right", "bottom-left", "bottom-right")
    return ([f"ink in row {r}" for r in range(8)] + [f"ink in column {c}" for c in range(8)]
            + [f"{q} gradient at {a}°" for q in quarters for a in (0, 45, 90, 135)])


def featurize(images: np.ndarray, features: str) -> np.ndarray:
    check(features in FEATURE_SETS, f"features must be one of {', '.join(FEATURE_SETS)}; got {features!r}")
    return images.reshape(len(images), 64).astype(np.float32) if features == "pixels" else hand_made_features(images)


# ------------------------------------------------------------------ the methods


@dataclass(frozen=True)
class ClassicalConfig:
    """What is compared, on which features and sizes, and how the MLP trains."""

    methods: tuple[str, ...] = METHODS  # which methods to fit
    feature_sets: tuple[str, ...] = FEATURE_SETS  # pixels and/or hand-made
    sizes: tuple[int, ...] = SIZES  # training-set sizes of the data-scaling curve
    mlp_width: int = 64  # units in each of the MLP's 2 hidden layers
    mlp_lr: float = 0.01  # the MLP's learning rate (Adam)
    mlp_steps: int = 150  # the MLP's optimizer steps at every size (mini-batches of 32)
    boosting_rounds: int = 10  # gradient boosting: rounds (one depth-3 tree per class each, learning rate 0.3)
    k: int = 5  # neighbours of k-NN
    seed: int = 0

    def __post_init__(self) -> None:
        check(len(self.methods) > 0, "pick at least one method")
        check(all(m in METHODS for m in self.methods), f"methods must be among {', '.join(METHODS)}")
        check(len(self.feature_sets) > 0, "pick at least one kind of features")
        check(all(f in FEATURE_SETS for f in self.feature_sets), f"features must be among {', '.join(FEATURE_SETS)}")
        check(len(self.sizes) > 0 and all(10 <= n <= 1258 for n in self.sizes),
              "training sizes must be between 10 and 1,258 images")
        check_range("MLP width", self.mlp_width, 1, 1024)
        check_range("MLP learning rate", self.mlp_lr, 0.0, 10.0, low_open=True)
        check_range("MLP steps", self.mlp_steps, 1, 20_000)
        check_range("boosting rounds", self.boosting_rounds, 1, 1000)
        check_range("k", self.k, 1, 50)


def make_classifier(method: str, cfg: ClassicalConfig, n_train: int):
    """The scikit-learn estimator of ``method`` (the MLP is trained separately)."""
    if method == "logistic regression":
        return LogisticRegression(max_iter=1000)  # multinomial, L2 with C = 1
    if method == "decision tree":
        return DecisionTreeClassifier(random_state=cfg.seed)  # grown until the leaves are pure
    if method == "gradient boosting":
        # small leaves allowed, so that it can split at all on 20 images
        return HistGradientBoostingClassifier(max_iter=cfg.boosting_rounds, learning_rate=0.3, max_depth=3,
                                              min_samples_leaf=3,
                                              early_stopping=False, random_state=cfg.seed)
    if method == "k-nearest neighbours":
        return KNeighborsClassifier(n_neighbors=min(cfg.k, n_train))
    raise ValueError(f"unknown method {method!r}")


@dataclass
class Fit:
    """One method fitted on one (features, size) job."""

    accuracy: float  # on the validation images (NaN if the MLP diverged)
    fit_seconds: float  # CPU time to fit (and, for the MLP, to train all its steps)
    predict_seconds: float  # CPU time to predict the validation images
    size: int  # learned (or stored) numbers: coefficients, tree nodes, leaves, stored examples, weights
    model: object = field(repr=False, default=None)  # the fitted estimator or the MLP's Trainer
    message: str = ""  # "diverged at step N: …" for an MLP that blew up


def _model_size(method: str, model) -> int:
    if method == "logistic regression":
        return int(model.coef_.size + model.intercept_.size)
    if method == "decision tree":
        return int(model.tree_.node_count)
    if method == "gradient boosting":
        return int(sum(p.get_n_leaf_nodes() for round_ in model._predictors for p in round_))
    if method == "k-nearest neighbours":
        return int(model.n_samples_fit_ * model.n_features_in_)
    return int(sum(p.numel() for p in model.model.parameters()))


def fit_mlp(x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, cfg: ClassicalConfig) -> Trainer:
    """The app's MLP (2 hidden ReLU layers) trained with Adam through ``Trainer``."""
    ds = data_mod.Dataset(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(xv), torch.from_numpy(yv),
                          x.shape[1], 10, "digits")
    model = Recipe(build, (x.shape[1], 10, ModelConfig(depth=2, width=cfg.mlp_width)), {"seed": cfg.seed}).build()
    train = TrainConfig(optimizer="adam", lr=cfg.mlp_lr, steps=cfg.mlp_steps, batch_size=32,
                        record_every=cfg.mlp_steps, seed=cfg.seed)
    return Trainer(model, ds, train, device="cpu").run()


def fit_method(method: str, x, y, xv, yv, cfg: ClassicalConfig) -> Fit:
    """Fit ``method`` on (x, y), score it on (xv, yv), timing both (CPU seconds)."""
    start = time.process_time()
    if method == "MLP":
        trainer = fit_mlp(x, y, xv, yv, cfg)
        fitted = time.process_time()
        if trainer.diverged:
            return Fit(float("nan"), fitted - start, 0.0, _model_size(method, trainer), trainer, trainer.message)
        pred = trainer.predict(torch.from_numpy(xv)).argmax(dim=1).numpy()
        model = trainer
    else:
        model = make_classifier(method, cfg, len(y)).fit(x, y)
        fitted = time.process_time()
        pred = model.predict(xv)
    done = time.process_time()
    return Fit(float((pred == yv).mean()), fitted - start, done - fitted, _model_size(method, model), model)


# ------------------------------------------------------------------ the run


class ClassicalRun(Stepwise):
    """Every method on every (features, size) job, one job per step, smallest sizes first.

    ``results[(features, size)][method]`` is a ``Fit``.
    """

    def __init__(self, cfg: ClassicalConfig = ClassicalConfig()):
        self.cfg = cfg
        xtr, self.y_train, xv, self.y_val = split(cfg.seed)
        self.raw: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # as computed: (n, d) train, validation
        self.scaled: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # standardised with the train statistics
        for f in cfg.feature_sets:
            a, b = featurize(xtr, f), featurize(xv, f)
            mean, std = a.mean(axis=0), a.std(axis=0) + 1e-6
            self.raw[f], self.scaled[f] = (a, b), ((a - mean) / std, (b - mean) / std)
        self.jobs = [(f, n) for n in sorted(set(cfg.sizes)) for f in cfg.feature_sets]
        self.results: dict[tuple[str, int], dict[str, Fit]] = {}
        self.train_cfg = TrainConfig(steps=len(self.jobs))
        self.step, self.status, self.message = 0, "ready", ""

    # Shared by many sessions (ui.results): a snapshot shares the features and every fit done so far —
    # a job adds fits and never changes one — and copies the rest (the table of results, the step).
    def _fits(self) -> list[Fit]:
        return [fit for r in self.results.values() for fit in r.values()]

    def _shared_parts(self) -> tuple:
        return (self.raw, self.scaled, self.y_train, self.y_val, self.jobs, *self._fits())

    def _read_only(self) -> None:
        """Every MLP fitted so far frozen (eval mode, weights needing no grad): they are finished runs
        of their own, shared with every copy of this run, which only reads them. The scikit-learn
        models are only read. ``_writable`` leaves them frozen: no later job trains them again."""
        for fit in self._fits():
            if isinstance(fit.model, Trainer):
                fit.model.freeze()

    def train_step(self) -> float:
        features, n = self.jobs[self.step]
        self.status = "running"
        results = {}
        with threadpool_limits(limits=torch.get_num_threads()):  # scikit-learn's OpenMP/BLAS: the run's budget
            for m in self.cfg.methods:
                x, xv = (self.raw if m in TREES else self.scaled)[features]
                results[m] = fit_method(m, x[:n], self.y_train[:n], xv, self.y_val, self.cfg)
        self.results[(features, n)] = results
        self.step += 1
        if self.step >= len(self.jobs):
            self.status = "finished"
        return 0.0

    def has_script(self) -> bool:
        return any("MLP" in r for r in self.results.values())

    def script(self, title: str = "An experiment") -> str | None:
        """The MLP of the largest training set done so far, as a script (the last job's, on the data
        it was fitted on). The scikit-learn methods are no PyTorch networks: they are not in it."""
        fits = [(n, f, r["MLP"]) for (f, n), r in self.results.items() if "MLP" in r]
        if not fits:
            return None
        n, features, fit = fits[-1]
        return fit.model.script(f"{title}: the MLP on {features}, {n} training images")

    def rows(self) -> list[dict]:
        """One row per job and method: validation accuracy, fit and predict seconds, size."""
        return [{"features": f, "train_size": n, "method": m, "val_acc": fit.accuracy, "fit_seconds": fit.fit_seconds,
                 "predict_seconds": fit.predict_seconds, "size": fit.size}
                for (f, n), r in self.results.items() for m, fit in r.items()]

    def curve(self, features: str, method: str) -> tuple[np.ndarray, np.ndarray]:
        """(sizes, validation accuracy) of one method on one feature set, over the jobs done."""
        done = [(n, r[method].accuracy) for (f, n), r in self.results.items() if f == features and method in r]
        sizes, acc = zip(*done) if done else ((), ())
        return np.array(sizes, dtype=np.int64), np.array(acc, dtype=np.float32)

    def largest(self, features: str) -> dict[str, Fit]:
        """The fits on the largest training set done so far for ``features`` ({} before any)."""
        done = [n for f, n in self.results if f == features]
        return self.results[(features, max(done))] if done else {}

    def diverged_messages(self) -> list[str]:
        return [f"MLP on {f}, {n} images: {fit.message}" for (f, n), r in self.results.items()
                for fit in r.values() if fit.message]


def logistic_weights(fit: Fit) -> np.ndarray:
    """A logistic regression on pixels read as images: (10, 8, 8), one per digit; positive
    weights are ink that counts *for* that digit."""
    check(fit.model.coef_.shape[1] == 64, "the weight images need the logistic regression fitted on pixels")
    return fit.model.coef_.reshape(-1, 8, 8).astype(np.float32)


def tree_rules(fit: Fit, features: str, depth: int = 2) -> str:
    """The first ``depth`` levels of a fitted decision tree as if-then rules (scikit-learn's
    ``export_text``), with readable feature names; thresholds are in ink (pixels in [0, 1])."""
    return export_text(fit.model, feature_names=feature_names(features), max_depth=depth, decimals=2)


READING = {  # what each fitted model lets a person read, shown next to its numbers
    "logistic regression": "a weight image per digit",
    "decision tree": "if-then rules near the root",
    "gradient boosting": "feature importances only",
    "k-nearest neighbours": "the neighbours it used",
    "MLP": "needs explanation methods",
}

CLASSICAL = ClassicalConfig()


def default_experiment(device) -> dict:
    """The page's default run: every method, both feature sets, every size."""
    return {"run": ClassicalRun(CLASSICAL).run()}
