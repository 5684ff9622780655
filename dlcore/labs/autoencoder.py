"""Autoencoders on the 8×8 digits: the experiments of the Autoencoders page, returned as data.

An autoencoder is trained to output its own input (``Trainer(..., loss="mse")`` with the
images as targets; accuracy is then NaN) through a bottleneck of ``latent`` numbers. Beside it:

- **PCA**, by SVD of the centred training images: the best *linear* code of each size. Its
  validation MSE at k components is the bar an autoencoder with a k-number bottleneck must beat.
- a **linear autoencoder** (identity activation), which learns PCA's subspace (not its axes);
- a **denoising autoencoder**, trained on noisy inputs against clean targets;
- a **variational autoencoder**, trained on ‖x − x̂‖² + β·KL (per pixel: MSE + β·KL/64).

Everything a chart shows — codes, reconstructions, a latent walk, the MSE against the bottleneck
size, anomaly scores — is computed here from trained models; ``ui.charts.autoencoder`` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
import torch

from .. import data as data_mod
from ..checks import check_range
from ..config import DataConfig, TrainConfig
from ..export import Recipe, ScriptParts
from ..models.autoencoder import AutoencoderConfig, build_autoencoder, kl_to_standard_normal
from ..trainer import Trainer

DIGITS = DataConfig(name="digits", n_samples=1797, val_fraction=0.3)  # 1,258 training, 539 validation images


# ---------------------------------------------------------------------------------- PCA
@dataclass(frozen=True)
class PCA:
    """Principal components of the training images, by SVD of the centred data matrix."""

    mean: torch.Tensor  # (64,) of the (already centred) training data: ≈ 0
    components: torch.Tensor  # (64, 64) rows: unit directions of decreasing variance
    variances: torch.Tensor  # (64,) the variance of the data along each component

    def project(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """The first ``k`` coordinates of each image: (n, k)."""
        return (x - self.mean) @ self.components[:k].T

    def reconstruct(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """The best rank-k linear reconstruction: project on k components and back, (n, 64)."""
        return self.project(x, k) @ self.components[:k] + self.mean


def fit_pca(x: torch.Tensor) -> PCA:
    """X − mean = U S Vᵀ: the rows of Vᵀ are the components, S²/(n − 1) their variances."""
    mean = x.mean(dim=0)
    _, s, vt = torch.linalg.svd(x - mean, full_matrices=False)  # vt (64, 64)
    return PCA(mean, vt, s**2 / (len(x) - 1))


def mse(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean squared error over every pixel of every image."""
    return float(((a - b) ** 2).mean())


def pca_mse_curve(ks=range(1, 33), cfg: DataConfig = DIGITS) -> tuple[np.ndarray, np.ndarray]:
    """(k, validation MSE of PCA with k components); k = 0 is the mean image."""
    pca, x = pca_of(cfg), digit_images(cfg).dataset.x_val
    ks = np.array(list(ks))
    return ks, np.array([mse(pca.reconstruct(x, k), x) for k in ks], dtype=np.float32)


def mean_image_mse(cfg: DataConfig = DIGITS) -> float:
    """Validation MSE of predicting the training mean image for every digit: the floor to beat."""
    ds = digit_images(cfg).dataset
    return mse(ds.x_train.mean(dim=0).expand_as(ds.x_val), ds.x_val)


# ---------------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class DigitImages:
    """The digits for reconstruction: targets are the inputs. Pixels are centred by the training
    mean (as ``data.load`` does); ``mean`` (64,) puts it back for display."""

    dataset: data_mod.Dataset  # x_train (n, 64) with y_train = x_train; the same for validation
    labels_train: torch.Tensor  # (n_train,) the digit each image shows (for colours, never for training)
    labels_val: torch.Tensor  # (n_val,)
    mean: torch.Tensor  # (64,) the training mean image, in [0, 1]
    pca: PCA  # of the training images


@lru_cache(maxsize=2)
def digit_images(cfg: DataConfig = DIGITS) -> DigitImages:
    """The split of ``data.load`` (same seed, same images), with the targets set to the inputs."""
    ds = data_mod.load(cfg)
    x, _ = data_mod.make_arrays(cfg)  # the raw pixels, to recover the mean ``load`` subtracted
    order = np.random.default_rng(cfg.seed + 1).permutation(len(x))[: cfg.n_samples]
    n_val = max(1, int(round(cfg.val_fraction * len(order))))
    mean = torch.from_numpy(x[order[n_val:]].mean(axis=0))
    images = data_mod.Dataset(ds.x_train, ds.x_train, ds.x_val, ds.x_val, ds.n_features, ds.n_classes, "digits")
    return DigitImages(images, ds.y_train, ds.y_val, mean, fit_pca(ds.x_train))


def pca_of(cfg: DataConfig = DIGITS) -> PCA:
    """PCA of the training images of ``cfg`` (computed once, with the images)."""
    return digit_images(cfg).pca


def add_noise(x: torch.Tensor, std: float, seed: int = 0) -> torch.Tensor:
    """x + N(0, std²) noise from a generator seeded here: the same noisy set every time."""
    check_range("noise", std, 0.0, 5.0)
    g = torch.Generator().manual_seed(seed)
    return x + std * torch.randn(x.shape, generator=g)  # (n, 64)


# ---------------------------------------------------------------------------------- training
def vae_loss(output: torch.Tensor, target: torch.Tensor, kl: torch.Tensor, beta: float) -> torch.Tensor:
    """A VAE's loss per example: mean squared error + β·KL/n_in, i.e. (‖x − x̂‖² + β·KL)/n_in,
    for reconstructions ``output`` and images ``target`` (batch, n_in) and the codes' KL (batch,)."""
    reconstruction = ((output - target) ** 2).mean(dim=1)  # (batch,)
    return reconstruction + beta * kl / target.shape[1]


class AutoencoderTrainer(Trainer):
    """The shared ``Trainer`` with the images as targets and the model switched to eval mode
    whenever it is measured, so the recorded losses use clean inputs (no training noise) and the
    code μ (no sampling). The loss is MSE, or for a VAE MSE + β·KL/n_in per example.

    Args:
        cfg: the autoencoder; ``cfg.noise`` > 0 trains a denoising one.
        train: optimizer, learning rate, batches, steps, seed (weights, batches and noise).
        beta: the weight of the KL term (a VAE only).
        images: the digits (default: ``digit_images()``).
    """

    _frozen = False  # set by freeze(): the mode stays eval

    def __init__(self, cfg: AutoencoderConfig, train: TrainConfig, beta: float = 1.0,
                 images: DigitImages | None = None, device: torch.device | str | None = None):
        check_range("β (weight of the KL term)", beta, 0.0, 100.0)
        self.cfg, self.beta = cfg, beta
        self.images = images or digit_images()
        model = Recipe(build_autoencoder, (cfg,), {"seed": train.seed}).build()
        loss = self.vae_loss if cfg.variational else "mse"
        super().__init__(model, self.images.dataset, train, layers=model.layers(), loss=loss, device=device)

    def vae_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``vae_loss`` with the KL of the same forward pass, which the model keeps."""
        return vae_loss(output, target, self.model.kl, self.beta)

    def _read_only(self) -> None:
        super()._read_only()
        self._frozen = True

    def _writable(self) -> None:
        super()._writable()
        self._frozen = False

    def _set_training(self, mode: bool) -> None:
        """Input noise and z's sampling are on in train mode only, so the model always has modes to switch
        (the parent switches for dropout and BatchNorm only) — until it is frozen: a finished run is shared
        by many sessions (``ui.results``) and stays in eval mode."""
        if not self._frozen and self.model.training != mode:
            self.model.train(mode)

    def script_parts(self) -> ScriptParts | None:
        if not self.cfg.variational:
            return super().script_parts()
        per_example = f"vae_loss(output, y, model.kl, {self.beta!r})"
        return ScriptParts(self.model.recipe, f"output = model(x)\nloss = {per_example}.mean()", per_example,
                           roots=(vae_loss,))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x̂ for inputs x (n, 64), in eval mode (no noise, z = μ)."""
        return self.predict(x)

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The codes (n, latent) in eval mode."""
        self._set_training(False)
        z = self.model.encode(x.to(self.device)).cpu()
        self._set_training(True)
        return z

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images (n, 64), centred like the data, for codes z (n, latent)."""
        self._set_training(False)
        x = self.model.decode(z.to(self.device)).cpu()
        self._set_training(True)
        return x

    def val_mse(self, noise: float = 0.0, seed: int = 0) -> float:
        """Reconstruction MSE on the validation images (inputs with noise of std ``noise`` added,
        targets clean)."""
        x = self.images.dataset.x_val
        return mse(self.reconstruct(add_noise(x, noise, seed) if noise else x), x)


@dataclass(frozen=True)
class Setup:
    """What the page trains: an autoencoder, its linear twin, and optional DAE and VAE."""

    model: AutoencoderConfig = AutoencoderConfig(latent=2, hidden=64, activation="relu")
    train: TrainConfig = TrainConfig(optimizer="adam", lr=0.01, batch_size=64, steps=1000, record_every=25)
    linear: bool = True  # also train the same network with the identity activation (PCA's twin)
    denoise: float = 0.0  # > 0: also train a denoising autoencoder with input noise of this std
    beta: float = 0.0  # > 0: also train a variational autoencoder with this weight on the KL term
    data: DataConfig = field(default=DIGITS)

    def __post_init__(self) -> None:
        check_range("denoising noise", self.denoise, 0.0, 5.0)
        check_range("β (weight of the KL term)", self.beta, 0.0, 100.0)

    def trainers(self, device: torch.device | str | None = None) -> dict[str, AutoencoderTrainer]:
        images = digit_images(self.data)
        out = {"autoencoder": AutoencoderTrainer(self.model, self.train, images=images, device=device)}
        if self.linear:
            linear = replace(self.model, activation="identity")
            out["linear AE"] = AutoencoderTrainer(linear, self.train, images=images, device=device)
        if self.denoise > 0:
            dae = replace(self.model, noise=self.denoise)
            out["denoising AE"] = AutoencoderTrainer(dae, self.train, images=images, device=device)
        if self.beta > 0:
            vae = replace(self.model, variational=True)
            out["VAE"] = AutoencoderTrainer(vae, self.train, beta=self.beta, images=images, device=device)
        return out


DEFAULT = Setup()
SWEEP_SIZES = (2, 4, 8, 16, 32)


def size_sweep(setup: Setup, sizes=SWEEP_SIZES, device=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The autoencoder and its linear twin trained at each bottleneck size in ``sizes`` (all
    other settings, seed included, as in ``setup``): ``{name: (sizes, validation MSE)}``."""
    curves: dict[str, list[float]] = {}
    for k in sizes:
        one = replace(setup, model=replace(setup.model, latent=k), denoise=0.0, beta=0.0)
        for name, t in one.trainers(device).items():
            t.run()
            curves.setdefault(name, []).append(float("nan") if t.diverged else t.val_mse())
    return {name: (np.array(sizes), np.array(v, dtype=np.float32)) for name, v in curves.items()}


# ---------------------------------------------------------------------------------- codes
def knn_accuracy(z_train: torch.Tensor, y_train: torch.Tensor, z_val: torch.Tensor, y_val: torch.Tensor,
                 k: int = 5) -> float:
    """Share of validation codes whose k nearest training codes (Euclidean) vote for their own
    digit: how well the code keeps the classes apart, although no label was used to learn it."""
    nearest = torch.cdist(z_val, z_train).topk(k, largest=False).indices  # (n_val, k)
    votes = torch.nn.functional.one_hot(y_train[nearest], int(y_train.max()) + 1).sum(dim=1)  # (n_val, classes)
    return float((votes.argmax(dim=1) == y_val).float().mean())


@dataclass(frozen=True)
class CodeMap:
    """Where each validation digit lands in 2-D: the autoencoder's code and PCA's first two
    coordinates, with the 5-NN accuracy of each code (computed in the code's full dimension)."""

    ae: np.ndarray  # (n_val, 2) the code itself if latent = 2, else its first two principal coordinates
    pca: np.ndarray  # (n_val, 2)
    labels: np.ndarray  # (n_val,)
    ae_knn: float
    pca_knn: float
    latent: int


def code_plane(codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(centre (latent,), basis (2, latent)) of the plane a chart shows: the code axes when the
    code is 2-D, else the two principal directions of the codes through their mean."""
    if codes.shape[1] == 2:
        return torch.zeros(2), torch.eye(2)
    p = fit_pca(codes)
    return p.mean, p.components[:2]


def code_map(trainer: AutoencoderTrainer, k: int = 5) -> CodeMap:
    img, pca = trainer.images, trainer.images.pca
    ds = img.dataset
    z_train, z_val = trainer.encode(ds.x_train), trainer.encode(ds.x_val)  # (n, latent)
    centre, basis = code_plane(z_train)
    latent = z_val.shape[1]
    p_train, p_val = pca.project(ds.x_train, latent), pca.project(ds.x_val, latent)
    return CodeMap(
        ae=((z_val - centre) @ basis.T).numpy(),
        pca=pca.project(ds.x_val, 2).numpy(),
        labels=img.labels_val.numpy(),
        ae_knn=knn_accuracy(z_train, img.labels_train, z_val, img.labels_val, k),
        pca_knn=knn_accuracy(p_train, img.labels_train, p_val, img.labels_val, k),
        latent=latent,
    )


def pca_knn_accuracy(k_components: int = 2, k: int = 5) -> float:
    img, pca = digit_images(), pca_of()
    ds = img.dataset
    return knn_accuracy(pca.project(ds.x_train, k_components), img.labels_train,
                        pca.project(ds.x_val, k_components), img.labels_val, k)


# ---------------------------------------------------------------------------------- pictures
def pick_examples(labels: torch.Tensor, digits) -> list[int]:
    """The index of the first validation image of each digit in ``digits``."""
    return [int(torch.nonzero(labels == d)[0]) for d in digits]


def as_images(x: torch.Tensor, mean: torch.Tensor) -> np.ndarray:
    """Centred pixel rows (n, 64) back to images (n, 8, 8) in [0, 1] units (not clipped)."""
    return (x + mean).reshape(-1, 8, 8).numpy().astype(np.float32)


def latent_walk(trainer: AutoencoderTrainer, n: int = 9, span: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The decoder's output over an n × n grid of latent points, (n, n, 8, 8), and the grid's
    axis (n,). The grid covers the code plane (``code_plane``) over the 1st–99th percentile of
    the training codes, or [−span, span]² (e.g. 2 for a VAE's prior: ±2 standard deviations)."""
    z = trainer.encode(trainer.images.dataset.x_train)  # (n_train, latent)
    centre, basis = code_plane(z)
    if span is None:
        coords = (z - centre) @ basis.T  # (n_train, 2)
        lo, hi = torch.quantile(coords, 0.01).item(), torch.quantile(coords, 0.99).item()
    else:
        lo, hi = -span, span
    axis = torch.linspace(lo, hi, n)
    a, b = torch.meshgrid(axis, axis.flip(0), indexing="xy")  # row 0 at the top: largest 2nd coordinate
    points = torch.stack([a.flatten(), b.flatten()], dim=1) @ basis + centre  # (n·n, latent)
    images = as_images(trainer.decode(points), trainer.images.mean)  # (n·n, 8, 8)
    return images.reshape(n, n, 8, 8), axis.numpy()


def reconstructions(trainers: dict[str, AutoencoderTrainer], digits, noise: float = 0.0,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """Rows of images (len(digits), 8, 8): the originals, each model's reconstruction, and
    PCA's with as many components as the bottleneck. A denoising AE gets its noisy input
    (``noise``) and its output on it."""
    first = next(iter(trainers.values()))
    img = first.images
    idx = pick_examples(img.labels_val, digits)
    x = img.dataset.x_val[idx]  # (m, 64)
    rows = {"original": as_images(x, img.mean)}
    for name, t in trainers.items():
        if t.cfg.noise > 0:
            xn = add_noise(x, noise or t.cfg.noise, seed)
            rows["noisy input"] = as_images(xn, img.mean)
            rows[f"{name} (from noisy)"] = as_images(t.reconstruct(xn), img.mean)
        else:
            rows[name] = as_images(t.reconstruct(x), img.mean)
    k = first.cfg.latent
    rows[f"PCA, {k} components"] = as_images(img.pca.reconstruct(x, k), img.mean)
    return rows


# ---------------------------------------------------------------------------------- linear AE = PCA
def decoder_basis(trainer: AutoencoderTrainer) -> torch.Tensor:
    """The directions a *linear* decoder can output, (64, latent): x̂(z) = D z + b, D's columns
    read off as x̂(eᵢ) − x̂(0)."""
    latent = trainer.cfg.latent
    out = trainer.decode(torch.cat([torch.zeros(1, latent), torch.eye(latent)]))  # (latent + 1, 64)
    return (out[1:] - out[:1]).T


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Angles in degrees between the subspaces spanned by the columns of a and b (64, k): the
    arccos of the singular values of Qaᵀ Qb. All zero ⇔ the same subspace."""
    qa, qb = torch.linalg.qr(a.double())[0], torch.linalg.qr(b.double())[0]
    cos = torch.linalg.svdvals(qa.T @ qb).clamp(-1, 1)
    return np.degrees(np.arccos(cos.numpy()))


def angles_to_pca(trainer: AutoencoderTrainer) -> np.ndarray:
    """Principal angles between a linear autoencoder's decoder subspace and PCA's top-k one."""
    k = trainer.cfg.latent
    return principal_angles(decoder_basis(trainer), trainer.images.pca.components[:k].T)


# ---------------------------------------------------------------------------------- denoising
def denoising_table(trainers: dict[str, AutoencoderTrainer], noise: float, seed: int = 1) -> dict[str, dict]:
    """Validation MSE against the clean images, on clean and on noisy inputs (noise of std
    ``noise``, one fixed draw), for each run; "noisy input itself" is doing nothing."""
    x = next(iter(trainers.values())).images.dataset.x_val
    table = {"noisy input itself": {"clean": 0.0, "noisy": mse(add_noise(x, noise, seed), x)}}
    for name, t in trainers.items():
        if not t.cfg.variational:
            table[name] = {"clean": t.val_mse(), "noisy": t.val_mse(noise, seed)}
    return table


# ---------------------------------------------------------------------------------- anomalies
@dataclass(frozen=True)
class AnomalyScores:
    """Reconstruction error per image (MSE over its pixels): validation digits against inputs
    that are no digits, with a threshold at the digits' 95th percentile."""

    scores: dict[str, np.ndarray]  # kind -> (n,)
    threshold: float
    flagged: dict[str, float]  # kind -> share of its images above the threshold


def shuffled_pixels(x: torch.Tensor, mean: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Each image with its 64 pixels in a random order: the same ink, no digit. Centred rows."""
    g = torch.Generator().manual_seed(seed)
    raw = x + mean  # (n, 64) in [0, 1]
    perms = torch.argsort(torch.rand(raw.shape, generator=g), dim=1)
    return torch.gather(raw, 1, perms) - mean


def occluded(x: torch.Tensor, mean: torch.Tensor, seed: int = 0, size: int = 3) -> torch.Tensor:
    """Each image with a random ``size`` × ``size`` block of full ink stamped on it."""
    g = torch.Generator().manual_seed(seed)
    raw = (x + mean).reshape(-1, 8, 8).clone()
    corners = torch.randint(0, 8 - size + 1, (len(x), 2), generator=g)
    for img, (r, c) in zip(raw, corners.tolist()):
        img[r : r + size, c : c + size] = 1.0
    return raw.reshape(len(x), 64) - mean


def anomaly_scores(trainer: AutoencoderTrainer, seed: int = 0, quantile: float = 0.95) -> AnomalyScores:
    img = trainer.images
    x = img.dataset.x_val

    def score(inputs: torch.Tensor) -> np.ndarray:
        return ((trainer.reconstruct(inputs) - inputs) ** 2).mean(dim=1).numpy()  # (n,)

    scores = {
        "digits": score(x),
        "digits with an ink block": score(occluded(x, img.mean, seed)),
        "shuffled pixels (no digit)": score(shuffled_pixels(x, img.mean, seed)),
    }
    threshold = float(np.quantile(scores["digits"], quantile))
    return AnomalyScores(scores, threshold, {k: float((v > threshold).mean()) for k, v in scores.items()})


# ---------------------------------------------------------------------------------- VAE
def prior_samples(trainer: AutoencoderTrainer, n: int = 16, seed: int = 0) -> np.ndarray:
    """Images decoded from z ~ N(0, I), the VAE's prior: (n, 8, 8)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, trainer.cfg.latent, generator=g)
    return as_images(trainer.decode(z), trainer.images.mean)


@torch.no_grad()
def kl_per_example(trainer: AutoencoderTrainer) -> float:
    """Mean KL(q(z|x) ‖ N(0, I)) over the validation images, in nats (a VAE only). Computed from the
    encoder's μ and log σ² here, not read from ``model.kl``: a finished run is shared by many sessions
    (``ui.results``), and another one's forward pass may overwrite that attribute at any moment."""
    model, latent = trainer.model, trainer.cfg.latent
    code = model.encoder(trainer.images.dataset.x_val.to(trainer.device)).cpu()  # (n, 2·latent)
    return float(kl_to_standard_normal(code[:, :latent], code[:, latent:].clamp(-10, 10)).mean())


def default_experiment(device) -> dict:
    """The page's default run: the autoencoder and its linear twin, trained to the end."""
    trainers = DEFAULT.trainers(device)
    for t in trainers.values():
        t.run()
    return trainers
