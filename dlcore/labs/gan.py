"""GANs on a 2-D mixture of Gaussians: two networks, two optimizers, and mode collapse measured.

The data: 8 small Gaussian blobs ("modes") on a ring. The generator G turns noise z into points;
the discriminator D scores points, D(x) = σ(logit(x)) = its probability that x is real. With
p the data and l = logit:

    D's loss (all three BCE losses):  −E_x[log D(x)] − E_z[log(1 − D(G(z)))]
    G, original minimax:               E_z[log(1 − D(G(z)))]         (minimised; = −D's 2nd term)
    G, non-saturating:                −E_z[log D(G(z))]              (Goodfellow et al., 2014, §3)

Both of G's losses push its points towards where D says "real"; they differ in how hard. By the
logit l of a fake point, ∂/∂l log(1 − σ(l)) = −σ(l) and ∂/∂l (−log σ(l)) = −(1 − σ(l)): when
D confidently rejects the fakes (σ(l) ≈ 0) the minimax gradient vanishes, the non-saturating one
is almost 1. Both have the same fixed point.

Wasserstein-style with gradient penalty (WGAN-GP, Gulrajani et al., 2017): D becomes a critic f
with a raw score (no sigmoid), and

    critic:  E_z[f(G(z))] − E_x[f(x)] + λ·E_x̂[(‖∇f(x̂)‖ − 1)²],  x̂ on lines between real and fake
    G:      −E_z[f(G(z))]

One training *step* here is ``d_steps`` updates of D (each on a fresh batch), then one update of
G: two ``torch.optim.Adam`` optimizers with β₁ = 0.5, as DCGAN (Radford et al., 2016) did.

Mode collapse, measured as in the unrolled-GAN and VEEGAN papers (Metz et al., 2017;
Srivastava et al., 2017): a generated point is *good* when it lies within 3 standard deviations of
its nearest mode's centre; a mode is *covered* when at least ``COVERED_SHARE`` of the generated
points are good points near it. Both are measured on a fixed set of ``N_EVAL`` noise vectors.

Your own data (``UploadedPoints``): a learner's file of points is the real distribution instead —
its points drawn uniformly, with replacement. The file's classes play the modes for the coverage
measurement (a good point lies within 3 typical gaps between neighbouring points of a real point;
its mode is that point's class); training never sees them.
"""

from __future__ import annotations

import base64
import math
import zlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check, check_choice, check_range
from ..export import Recipe, stepwise_script
from ..models.gan import Discriminator, GANConfig, build_gan
from ..recorder import grad_norm_per_layer
from ..trainer import Stepwise
from ..upload import MAX_CLASSES, UploadedData, standardise

LOSSES = ("minimax", "non_saturating", "wasserstein_gp")
LOSS_LABELS = {"minimax": "original minimax", "non_saturating": "non-saturating",
               "wasserstein_gp": "Wasserstein + gradient penalty"}
SHAPES = ("ring", "grid")
N_EVAL = 1000  # fixed noise vectors on which coverage is measured
N_SHOWN = 500  # of them, the generated points kept at every record (the charts' samples)
MAX_ANCHORS = 2000  # an upload's coverage is measured against at most this many of its points
COVERED_SHARE = 0.02  # a mode is covered when ≥ 2 % of the generated points are good points near it
GOOD_STDS = 3.0  # a good point lies within this many standard deviations of a mode's centre
DIVERGED_RADIUS = 1e3  # generated points farther than this from the origin: the run blew up
EQUILIBRIUM = {"d_loss": 2 * math.log(2), "non_saturating": math.log(2), "minimax": -math.log(2)}


# ---------------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class MixtureConfig:
    """The real data: equal-weight Gaussian blobs on a ring or a 2 × 4 grid."""

    shape: str = "ring"  # ring: modes evenly spaced on a circle; grid: 2 rows × modes/2 columns
    modes: int = 8  # number of Gaussian blobs (modes)
    radius: float = 2.0  # ring: the circle's radius; grid: half the width of the grid
    std: float = 0.05  # standard deviation of each blob (the same in x and y)

    def __post_init__(self) -> None:
        check_choice("data shape", self.shape, SHAPES)
        check_range("number of modes", self.modes, 2, 32)
        check_range("radius", self.radius, 0.1, 100.0)
        check_range("blob standard deviation", self.std, 1e-3, self.radius)

    def centers(self) -> torch.Tensor:
        """The modes' centres, (modes, 2)."""
        if self.shape == "ring":
            angle = 2 * math.pi * torch.arange(self.modes) / self.modes  # (modes,)
            return self.radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
        cols = math.ceil(self.modes / 2)
        xs = torch.linspace(-self.radius, self.radius, cols)
        ys = torch.tensor([-0.5, 0.5]) * self.radius
        grid = torch.stack([xs.repeat(2), ys.repeat_interleave(cols)], dim=1)  # (2·cols, 2)
        return grid[: self.modes]

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` points (n, 2): a mode drawn uniformly, plus Gaussian noise of std ``std``."""
        mode = torch.randint(0, self.modes, (n,), generator=generator)  # (n,)
        return self.centers()[mode] + self.std * torch.randn(n, 2, generator=generator)

    def shown(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """The real points the charts show, (n, 2): a sample."""
        return self.sample(n, generator)

    def anchors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """What coverage is measured against: the modes' centres (modes, 2) and their modes (modes,)."""
        return self.centers(), torch.arange(self.modes)

    @property
    def tolerance(self) -> float:
        """A generated point this close to its nearest anchor is a good point: 3σ of a blob."""
        return GOOD_STDS * self.std

    @property
    def reach(self) -> float:
        """How far from the origin the data reach."""
        return float(self.centers().norm(dim=1).max()) + 3 * self.std

    @property
    def extent(self) -> float:
        """Half the side of the square the charts show: the data with a margin."""
        return 1.5 * self.radius


@dataclass(frozen=True)
class UploadedPoints:
    """A learner's points of the plane as the real distribution, drawn uniformly with replacement.

    Made by ``uploaded_points(upload)``, which standardises them as the built-in 2-D sets are. The
    points (float32, then their classes as uint8) are held as zlib-compressed base64 text, so the
    config stays a frozen value whose ``repr`` rebuilds it: the run's hash covers exactly the points
    G must learn, and an exported script carries them. The classes only name the modes whose
    coverage is measured (``anchors``); training never sees them.
    """

    n: int  # number of points
    modes: int  # the file's classes: the "modes" of the coverage measurement
    radius: float  # the points span [-radius, radius] on each axis
    data: str  # points (n, 2) float32 then classes (n,) uint8, zlib + base64

    def __post_init__(self) -> None:
        check_range("number of points", self.n, 1, 1_000_000)
        check_range("number of classes", self.modes, 1, 255)
        check_range("radius", self.radius, 0.1, 100.0)
        check(len(self.data) > 0, "uploaded points need their data")

    @cached_property
    def _arrays(self) -> tuple[torch.Tensor, torch.Tensor]:
        raw = zlib.decompress(base64.b64decode(self.data))
        points = np.frombuffer(raw[: self.n * 8], dtype="<f4").reshape(self.n, 2).copy()  # (n, 2)
        labels = np.frombuffer(raw[self.n * 8 :], dtype=np.uint8).astype(np.int64)  # (n,)
        return torch.from_numpy(points), torch.from_numpy(labels)

    @property
    def points(self) -> torch.Tensor:
        """Every point, (n, 2) float32."""
        return self._arrays[0]

    @property
    def labels(self) -> torch.Tensor:
        """Every point's class, (n,) int64."""
        return self._arrays[1]

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` of the points (n, 2), each drawn uniformly, with replacement."""
        return self.points[torch.randint(0, self.n, (n,), generator=generator)]

    def shown(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """The real points the charts show, (min(n, self.n), 2): all of them, or ``n`` without repeats."""
        return self.points[torch.randperm(self.n, generator=generator)[:n]]

    @cached_property
    def _anchor_index(self) -> torch.Tensor:
        """The points coverage is measured against: all, or a seeded ``MAX_ANCHORS`` of them."""
        if self.n <= MAX_ANCHORS:
            return torch.arange(self.n)
        return torch.randperm(self.n, generator=torch.Generator().manual_seed(0))[:MAX_ANCHORS].sort().values

    def anchors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """What coverage is measured against: real points (m, 2) and their classes (m,)."""
        return self.points[self._anchor_index], self.labels[self._anchor_index]

    @cached_property
    def tolerance(self) -> float:
        """A generated point this close to a real point is a good point: ``GOOD_STDS`` times the
        typical gap between neighbouring points (the median distance from an anchor to its nearest
        other anchor; at least 1 % of the radius, for files with repeated points)."""
        anchors = self.anchors()[0]
        if len(anchors) < 2:
            return GOOD_STDS * 0.01 * self.radius
        gaps = torch.cdist(anchors, anchors).fill_diagonal_(math.inf).min(dim=1).values  # (m,)
        return GOOD_STDS * max(float(gaps.median()), 0.01 * self.radius)

    @property
    def reach(self) -> float:
        """How far from the origin the data reach."""
        return float(self.points.norm(dim=1).max())

    @property
    def extent(self) -> float:
        """Half the side of the square the charts show: the data with a margin."""
        return 1.5 * self.radius


def uploaded_points(upload: UploadedData, radius: float = MixtureConfig.radius) -> UploadedPoints:
    """A 2-D upload (``dlcore.upload``) as the real distribution: every point, standardised as the
    built-in 2-D sets are (each axis spans [-1, 1], ``dlcore.upload.standardise``), then scaled by
    ``radius`` to fill the square the eight blobs fill (their ring's radius: 2). There is no
    validation split: a GAN has nothing to validate against. The labels become the modes."""
    check(upload.form == "2d" and upload.n_features == 2, "a GAN here learns points of the plane (x1,x2,label)")
    check(upload.n_classes <= MAX_CLASSES, f"at most {MAX_CLASSES} classes can name the modes")
    x = standardise(upload.x, np.arange(upload.n_points), "2d") * radius  # (n, 2)
    raw = x.astype("<f4").tobytes() + upload.y.astype(np.uint8).tobytes()
    return UploadedPoints(upload.n_points, upload.n_classes, float(radius),
                          base64.b64encode(zlib.compress(raw, 9)).decode("ascii"))


# ------------------------------------------------------------------------- how GANs train
@dataclass(frozen=True)
class GANTrainConfig:
    """How G and D are trained: the loss, one learning rate each, D's updates per G update."""

    loss: str = "non_saturating"  # minimax, non_saturating or wasserstein_gp
    lr_g: float = 1e-3  # generator's learning rate (Adam)
    lr_d: float = 1e-3  # discriminator's (critic's) learning rate (Adam)
    d_steps: int = 1  # updates of D before each update of G
    steps: int = 2000  # updates of G (each after d_steps updates of D)
    batch_size: int = 128  # real points and noise vectors per update
    beta1: float = 0.5  # Adam's β₁ for both networks (DCGAN's choice; 0.9 makes GANs oscillate more)
    gp_weight: float = 1.0  # λ of the gradient penalty (wasserstein_gp only). The paper's 10 trains
    #                          too slowly here: 0–1 of 8 modes after 2,000 steps, against 7–8 with 1
    record_every: int = 50  # measure coverage and keep generated points every this many steps
    seed: int = 0  # initial weights, real batches, noise vectors: the whole run

    def __post_init__(self) -> None:
        check_choice("GAN loss", self.loss, LOSSES)
        check_range("generator learning rate", self.lr_g, 0.0, 10.0, low_open=True)
        check_range("discriminator learning rate", self.lr_d, 0.0, 10.0, low_open=True)
        check_range("discriminator steps per generator step", self.d_steps, 1, 20)
        check_range("steps", self.steps, 1, 100_000)
        check_range("batch size", self.batch_size, 2, 10_000)
        check_range("Adam β₁", self.beta1, 0.0, 0.999)
        check_range("gradient-penalty weight λ", self.gp_weight, 0.0, 1000.0)
        check_range("record every", self.record_every, 1, 100_000)


def generator_loss(loss: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """G's loss from D's logits (or critic scores) on generated points, (batch,) → scalar.

    minimax: mean log(1 − σ(l)) = −softplus(l); non-saturating: mean −log σ(l) = softplus(−l);
    wasserstein_gp: −mean f. (softplus keeps the logs finite however confident D is.)
    """
    if loss == "minimax":
        return -F.softplus(fake_logits).mean()
    if loss == "non_saturating":
        return F.softplus(-fake_logits).mean()
    if loss == "wasserstein_gp":
        return -fake_logits.mean()
    raise ValueError(f"GAN loss must be one of {', '.join(LOSSES)}; got {loss!r}")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy, real = 1 and fake = 0: −mean log σ(l_real) − mean log(1 − σ(l_fake))."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def gradient_penalty(critic: Discriminator, real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator) -> torch.Tensor:
    """WGAN-GP's E[(‖∇ₓf(x̂)‖ − 1)²] at x̂ = εx + (1 − ε)x̃, ε ~ U(0, 1) per pair."""
    eps = torch.rand(len(real), 1, generator=generator)  # (batch, 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)  # (batch, 2)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)  # (batch, 2)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


def logit_gradient(loss: str, d_fake: torch.Tensor) -> torch.Tensor:
    """∂(G's loss)/∂l for one generated point whose D(x̃) = σ(l) is ``d_fake``: −σ(l) for
    minimax, −(1 − σ(l)) for non-saturating. Computed by autograd through ``generator_loss``."""
    logit = torch.logit(d_fake.double()).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(generator_loss(loss, logit) * len(logit), logit)
    return grad


# ------------------------------------------------------------------------ coverage
@dataclass(frozen=True)
class Coverage:
    """How the generated points sit on the modes."""

    covered: int  # modes holding at least COVERED_SHARE of the points as good points
    good_share: float  # share of points within GOOD_STDS standard deviations of their nearest mode
    per_mode: tuple[float, ...]  # share of all points that are good points near each mode


def coverage(points: torch.Tensor, mix: MixtureConfig | UploadedPoints) -> Coverage:
    """Modes covered and the share of good points among ``points`` (n, 2): a point is good within
    ``mix.tolerance`` of its nearest anchor (a blob's centre, or a real point of an upload), and
    belongs to that anchor's mode."""
    points = points.detach().float().cpu()
    anchors, anchor_modes = mix.anchors()  # (m, 2), (m,)
    dist = torch.cdist(points, anchors)  # (n, m)
    nearest_dist, nearest = dist.min(dim=1)  # (n,), (n,)
    good = nearest_dist < mix.tolerance  # (n,) NaN distances count as bad
    counts = torch.bincount(anchor_modes[nearest[good]], minlength=mix.modes).float() / max(len(points), 1)
    return Coverage(int((counts >= COVERED_SHARE).sum()), float(good.float().mean()), tuple(counts.tolist()))


# ------------------------------------------------------------------------ the run
@dataclass(frozen=True)
class GANRecord:
    """The GAN at one recorded step."""

    step: int
    modes_covered: int
    good_share: float
    per_mode: tuple[float, ...]  # share of points that are good points near each mode
    d_real: float  # mean D(x) on real points (critic: mean score f(x))
    d_fake: float  # mean D(G(z)) on generated points (critic: mean score f(G(z)))
    samples: np.ndarray = field(repr=False)  # (N_SHOWN, 2) float32 generated points


@dataclass(frozen=True)
class GANView:
    """What GAN Lab draws, at the current step: D over the plane and G's gradient at its points."""

    axis: np.ndarray  # (n,) grid coordinates, the same for x and y
    d_grid: np.ndarray  # (n, n) D(x) (probability) or the critic's score f(x); [row = y, col = x]
    real: np.ndarray  # (m, 2) real points
    fake: np.ndarray  # (k, 2) generated points
    arrows: np.ndarray  # (a, 2) −∂(G's loss)/∂x̃ at the first a ≤ k generated points: where G pushes them
    probability: bool  # True: d_grid is a probability; False: a critic score


class GANTrainer(Stepwise):
    """A GAN trained step by step: ``d_steps`` Adam updates of D, then one of G, per step.

    Records the two losses at every step and, every ``record_every`` steps, coverage and a set
    of generated points (``records``). A run whose losses become NaN/Inf or whose points fly off
    beyond ``DIVERGED_RADIUS`` stops with ``status == "diverged"`` — "diverged at step N".
    All randomness (weights, real batches, noise, penalty mixing) comes from the run's seed.
    """

    def __init__(self, mix: MixtureConfig | UploadedPoints | None = None, gan: GANConfig | None = None,
                 train: GANTrainConfig | None = None):
        mix, gan, train = mix or MixtureConfig(), gan or GANConfig(), train or GANTrainConfig()
        self.mix, self.gan_cfg, self.train_cfg = mix, gan, train
        self.G, self.D = build_gan(gan, seed=train.seed)
        betas = (train.beta1, 0.999)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=train.lr_g, betas=betas, fused=True)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=train.lr_d, betas=betas, fused=True)
        self.generator = torch.Generator().manual_seed(train.seed + 1)  # batches, noise, ε
        eval_gen = torch.Generator().manual_seed(train.seed + 2)
        self.z_eval = torch.randn(N_EVAL, gan.latent, generator=eval_gen)  # (N_EVAL, latent)
        self.real_shown = mix.shown(N_SHOWN, eval_gen)  # (N_SHOWN, 2), or fewer: every point of a small upload
        self.step, self.status, self.message = 0, "ready", ""
        self.d_losses: list[float] = []  # D's (critic's) loss, last D update of each step
        self.g_losses: list[float] = []  # G's loss of each step
        self.g_grad_norms: list[float] = []  # ‖∂(G's loss)/∂θ_G‖ of each step
        self.records: list[GANRecord] = []
        self._record()

    # -------------------------------------------------------------- a step
    def _noise(self) -> torch.Tensor:
        return torch.randn(self.train_cfg.batch_size, self.gan_cfg.latent, generator=self.generator)

    def _d_update(self) -> float:
        cfg = self.train_cfg
        real = self.mix.sample(cfg.batch_size, self.generator)  # (batch, 2)
        with torch.no_grad():
            fake = self.G(self._noise())  # (batch, 2)
        real_logits, fake_logits = self.D(real), self.D(fake)  # (batch,), (batch,)
        if cfg.loss == "wasserstein_gp":
            loss = fake_logits.mean() - real_logits.mean()
            if cfg.gp_weight > 0:
                loss = loss + cfg.gp_weight * gradient_penalty(self.D, real, fake, self.generator)
        else:
            loss = discriminator_loss(real_logits, fake_logits)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return loss.item()

    def _g_update(self) -> tuple[float, float, float]:
        fake = self.G(self._noise())  # (batch, 2)
        loss = generator_loss(self.train_cfg.loss, self.D(fake))
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        norm = float(np.linalg.norm(grad_norm_per_layer(self.G.linears())))
        self.opt_g.step()
        return loss.item(), norm, float(fake.detach().abs().max())

    def has_script(self) -> bool:
        return True

    def script(self, title: str = "An experiment") -> str:
        """This run — both networks, their two Adam optimizers, the real batches, the noise — by its
        own code in a script, printing G's loss at every step."""
        return stepwise_script(Recipe(GANTrainer, (self.mix, self.gan_cfg, self.train_cfg)), title, what="G loss")

    def rows(self) -> list[dict]:
        """Every step: D's and G's losses and the norm of G's gradient."""
        return [{"step": i + 1, "d_loss": d, "g_loss": g, "g_grad_norm": n}
                for i, (d, g, n) in enumerate(zip(self.d_losses, self.g_losses, self.g_grad_norms))]

    # -------------------------------------------------------------- shared by many sessions (ui.results)
    _modes_before = None  # set by _read_only: what _writable restores

    def _shared_parts(self) -> tuple:
        """What a copy shares instead of copying: the data, the fixed noise and the records so far
        (no step changes them; a step appends a new record)."""
        return (self.mix, self.z_eval, self.real_shown, *self.records)

    def _read_only(self) -> None:
        """G and D in eval mode (no layer of theirs behaves differently: it says they are not
        training) and their weights needing no grad, so sessions drawing this run only read it."""
        if self._modes_before is not None:
            return  # already read-only
        nets = (self.G, self.D)
        self._modes_before = [(net.training, [p.requires_grad for p in net.parameters()]) for net in nets]
        for net in nets:
            net.eval()
            net.requires_grad_(False)

    def _writable(self) -> None:
        if self._modes_before is None:
            return
        for net, (mode, grads) in zip((self.G, self.D), self._modes_before):
            net.train(mode)
            for p, g in zip(net.parameters(), grads):
                p.requires_grad_(g)
        self._modes_before = None

    def train_step(self) -> float:
        """``d_steps`` updates of D, then one of G. Returns G's loss."""
        if self.done:
            return self.g_losses[-1] if self.g_losses else float("nan")
        self.status = "running"
        for _ in range(self.train_cfg.d_steps):
            d_loss = self._d_update()
        g_loss, g_norm, reach = self._g_update()
        self.step += 1
        self.d_losses.append(d_loss)
        self.g_losses.append(g_loss)
        self.g_grad_norms.append(g_norm)
        if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
            self._diverge(f"a loss became {d_loss if not math.isfinite(d_loss) else g_loss}")
        elif not reach <= DIVERGED_RADIUS:
            self._diverge(f"the generated points flew off to {reach:.3g} (the data lie within "
                          f"{self.mix.reach:.3g} of the origin)")
        elif self.step >= self.train_cfg.steps:
            self.status = "finished"
        if self.diverged:
            return g_loss
        if self.step % self.train_cfg.record_every == 0 or self.status == "finished":
            self._record()
        return g_loss

    # -------------------------------------------------------------- measuring
    @torch.no_grad()
    def generate(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """G's points for the noise ``z`` (default: the fixed evaluation noise), (n, 2)."""
        return self.G(self.z_eval if z is None else z)

    @torch.no_grad()
    def _record(self) -> None:
        fake = self.generate()  # (N_EVAL, 2)
        cov = coverage(fake, self.mix)
        d_real = self.D(self.real_shown)  # (N_SHOWN,)
        d_fake = self.D(fake)  # (N_EVAL,)
        if self.train_cfg.loss != "wasserstein_gp":
            d_real, d_fake = torch.sigmoid(d_real), torch.sigmoid(d_fake)
        self.records.append(GANRecord(self.step, cov.covered, cov.good_share, cov.per_mode,
                                      float(d_real.mean()), float(d_fake.mean()),
                                      fake[:N_SHOWN].numpy().astype(np.float32)))

    def series(self) -> dict[str, np.ndarray]:
        """Per step: ``steps`` 1…n, ``d_loss``, ``g_loss``, ``g_grad_norm`` (n,). Per record:
        ``record_steps``, ``modes_covered``, ``good_share``, ``d_real``, ``d_fake`` (records,)."""
        r = self.records
        return {
            "steps": np.arange(1, len(self.g_losses) + 1),
            "d_loss": np.array(self.d_losses, dtype=np.float64),
            "g_loss": np.array(self.g_losses, dtype=np.float64),
            "g_grad_norm": np.array(self.g_grad_norms, dtype=np.float64),
            "record_steps": np.array([x.step for x in r]),
            "modes_covered": np.array([x.modes_covered for x in r]),
            "good_share": np.array([x.good_share for x in r]),
            "d_real": np.array([x.d_real for x in r]),
            "d_fake": np.array([x.d_fake for x in r]),
        }

    def view(self, grid: int = 40, arrows: int = 150) -> GANView:
        """D over the plane (a ``grid`` × ``grid`` heatmap), G's points on the fixed noise, and at
        the first ``arrows`` of them the direction G's loss pushes them: −∂(G's loss)/∂x̃
        (autograd through D only; each point's own term of the loss)."""
        half = self.mix.extent
        axis = torch.linspace(-half, half, grid)
        yy, xx = torch.meshgrid(axis, axis, indexing="ij")
        plane = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)  # (grid², 2)
        probability = self.train_cfg.loss != "wasserstein_gp"
        with torch.no_grad():
            scores = self.D(plane)  # (grid²,)
            if probability:
                scores = torch.sigmoid(scores)
            fake = self.generate()[:N_SHOWN]  # (N_SHOWN, 2)
        points = fake[:arrows].clone().requires_grad_(True)  # (arrows, 2)
        loss = generator_loss(self.train_cfg.loss, self.D(points)) * len(points)
        (grad,) = torch.autograd.grad(loss, points)  # (arrows, 2)
        return GANView(axis.numpy().astype(np.float32), scores.reshape(grid, grid).numpy().astype(np.float32),
                       self.real_shown.numpy().astype(np.float32), fake.numpy().astype(np.float32),
                       (-grad).numpy().astype(np.float32), probability)

    def generator_gradient_norms(self, batch: int = 512) -> dict[str, float]:
        """‖∂L_G/∂θ_G‖ of the generator under the minimax and the non-saturating loss, on the
        same noise and the current D: how hard each loss would push G right now."""
        z = torch.randn(batch, self.gan_cfg.latent, generator=torch.Generator().manual_seed(self.train_cfg.seed + 3))
        # Gradients of G's weights, taken on private copies of G and D: the run may be shared by many
        # sessions (ui.results), its weights frozen without grad, and a page only reads it.
        G, D = build_gan(self.gan_cfg)
        G.load_state_dict(self.G.state_dict())
        D.load_state_dict(self.D.state_dict())
        params = list(G.parameters())
        norms = {}
        for loss in ("minimax", "non_saturating"):
            grads = torch.autograd.grad(generator_loss(loss, D(G(z))), params)
            norms[loss] = float(torch.sqrt(sum((g ** 2).sum() for g in grads)))
        return norms

    def mean_d_fake(self, batch: int = 512) -> float:
        """Mean D(G(z)) on fresh noise: near 0 means D confidently rejects the fakes."""
        z = torch.randn(batch, self.gan_cfg.latent, generator=torch.Generator().manual_seed(self.train_cfg.seed + 3))
        with torch.no_grad():
            return float(torch.sigmoid(self.D(self.G(z))).mean())


# --------------------------------------------------------------------- cost
COST_BUDGET = 10_000.0  # cost units a run may take, about 5 s of one CPU thread: the default takes 5,000,
#                          the discriminator-heavy preset (3 D steps per G step) 10,000


def step_cost(gan: GANConfig, train: GANTrainConfig) -> float:
    """The cost of one step in units of one update of a small network: d_steps updates of D
    (a gradient-penalty update costs about two) and one of G, each growing with width² beyond
    ~128 units (below that, per-operation overhead dominates). Measured on one CPU thread: one
    unit ≈ 0.5 ms."""
    d_cost = 2.0 if train.loss == "wasserstein_gp" else 1.0
    return (train.d_steps * d_cost + 1.0) * (1.0 + (gan.width / 128) ** 2)


def max_steps(gan: GANConfig, train: GANTrainConfig) -> int:
    """The most steps that fit in ``COST_BUDGET``, a multiple of ``record_every`` (at least one
    record's worth): a page caps its runs with it so that every combination of settings
    finishes within a few seconds."""
    fit = int(COST_BUDGET / step_cost(gan, train))
    return max(train.record_every, fit // train.record_every * train.record_every)


# --------------------------------------------------------------------- presets
# Balanced: equal learning rates, one D step per G step. Generator-heavy: G learns 100× faster
# than D. Discriminator-heavy: D learns 100× faster and takes 3 steps per G step.
PRESETS: dict[str, GANTrainConfig] = {
    "balanced": GANTrainConfig(),
    "generator-heavy": GANTrainConfig(lr_g=1e-2, lr_d=1e-4),
    "discriminator-heavy": GANTrainConfig(lr_g=1e-4, lr_d=1e-2, d_steps=3),
}


def default_experiment(device=None) -> GANTrainer:
    """The page's default run to the end. Two networks of 64 units on 2-D points: too small for
    a GPU to help, so it stays on the CPU."""
    return GANTrainer().run()
