"""Claim tests: every sentence the Autoencoders page teaches that an experiment can check.

Each runs the page's own set-up (``dlcore.labs.autoencoder.Setup``) through the shared trainer;
runs are trained once per module and shared.
"""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore.labs import autoencoder as ae
from dlcore.labs.autoencoder import DEFAULT

SEEDS = (0, 1, 2, 3)


def setup(latent=2, seed=0, **kw) -> ae.Setup:
    return replace(DEFAULT, model=replace(DEFAULT.model, latent=latent), train=replace(DEFAULT.train, seed=seed), **kw)


def trained(s: ae.Setup) -> dict:
    runs = s.trainers("cpu")
    for t in runs.values():
        t.run()
    return runs


@pytest.fixture(scope="module")
def default_runs(one_thread):
    """The page's default (autoencoder + linear twin, bottleneck 2) on seed 0; the plain
    autoencoder alone on seeds 1–3."""
    return {seed: trained(setup(seed=seed, linear=seed == 0)) for seed in SEEDS}


@pytest.fixture(scope="module")
def size_runs(one_thread):
    """Autoencoder and linear twin at bottleneck 8 (with a denoising AE, σ = 0.3), 16 and 32."""
    return {8: trained(setup(8, denoise=0.3)), 16: trained(setup(16)), 32: trained(setup(32))}


@pytest.fixture(scope="module")
def vae_runs(one_thread):
    """VAEs with a 2-D code at β = 0.3 and β = 3, and an 8-D one at β = 0.3."""
    out = {}
    for latent, beta in ((2, 0.3), (2, 3.0), (8, 0.3)):
        cfg = replace(DEFAULT.model, latent=latent, variational=True)
        out[latent, beta] = ae.AutoencoderTrainer(cfg, DEFAULT.train, beta=beta, device="cpu").run()
    return out


def pca_mse(k: int) -> float:
    ks, curve = ae.pca_mse_curve()
    return float(curve[list(ks).index(k)])


# ------------------------------------------------------------------ the bottleneck beats PCA
def test_default_autoencoder_ends_near_0_036_against_pca2_0_053_and_the_mean_image_0_074(default_runs):
    """"With the defaults the autoencoder's validation MSE ends near 0.036, against 0.053 for PCA
    with 2 components and 0.074 for the mean image … at least 15 % below PCA-2 on every seed.\""""
    assert pca_mse(2) == pytest.approx(0.053, abs=0.001)
    assert ae.mean_image_mse() == pytest.approx(0.074, abs=0.001)
    assert default_runs[0]["autoencoder"].val_mse() == pytest.approx(0.036, abs=0.002)
    for runs in default_runs.values():
        assert runs["autoencoder"].status == "finished"
        assert runs["autoencoder"].val_mse() < 0.85 * pca_mse(2)


def test_the_recorded_validation_loss_is_the_reconstruction_mse_and_accuracy_is_nan(default_runs):
    """"trained live … through the same trainer as every other page (with loss="mse"; accuracy is
    then not recorded)\" — the curve on the page is the same number as the table's MSE."""
    t = default_runs[0]["autoencoder"]
    last = t.recorder.records[-1]
    assert last.val_loss == pytest.approx(t.val_mse(), rel=1e-5)
    assert np.isnan(last.val_acc)


def test_the_code_sorts_the_digits_better_than_pca2_without_labels(default_runs):
    """"a 5-nearest-neighbour vote in the code is right about 0.8 of the time (0.74–0.86 over
    seeds 0–3) against 0.64 for PCA-2.\""""
    assert ae.pca_knn_accuracy(2) == pytest.approx(0.64, abs=0.01)
    accs = [ae.code_map(runs["autoencoder"]).ae_knn for runs in default_runs.values()]
    assert all(0.73 <= a <= 0.87 for a in accs), accs
    assert 0.77 <= np.mean(accs) <= 0.84
    assert min(accs) > ae.pca_knn_accuracy(2) + 0.08


def test_most_of_the_gain_comes_in_the_first_200_steps(default_runs):
    """"Four fifths of the gain over the mean image come in the first 200 of the 1,000 steps.\""""
    for runs in default_runs.values():
        r = runs["autoencoder"].recorder
        val, steps = r.series("val_loss"), list(r.steps())
        gain_200 = ae.mean_image_mse() - val[steps.index(200)]
        assert gain_200 >= 0.8 * (ae.mean_image_mse() - val[-1])


def test_the_advantage_over_pca_is_a_third_up_to_8_and_a_fifth_at_16(default_runs, size_runs):
    """"at sizes 2 to 8 its error is about a third below PCA's, at 16 only about a fifth.\""""
    ratio = {2: default_runs[0]["autoencoder"].val_mse() / pca_mse(2)}
    ratio |= {k: size_runs[k]["autoencoder"].val_mse() / pca_mse(k) for k in (8, 16)}
    assert 0.6 <= ratio[2] <= 0.72 and 0.6 <= ratio[8] <= 0.72, ratio
    assert 0.74 <= ratio[16] <= 0.86, ratio


def test_at_32_the_autoencoder_ends_above_pca(size_runs):
    """"At 32 the autoencoder ends *above* PCA: 1,000 steps of gradient descent fall short of what
    one SVD gives exactly.\""""
    assert size_runs[32]["autoencoder"].val_mse() > 1.03 * pca_mse(32)


def test_the_sweep_draws_the_same_runs_as_the_page(default_runs, size_runs):
    """"Turn on Also train every size to draw the autoencoder's own curve": the sweep's points are
    the runs the page trains at those sizes."""
    curves = ae.size_sweep(DEFAULT, sizes=(2,), device="cpu")
    sizes, values = curves["autoencoder"]
    assert list(sizes) == [2] and values[0] == pytest.approx(default_runs[0]["autoencoder"].val_mse(), rel=1e-6)
    assert curves["linear AE"][1][0] == pytest.approx(default_runs[0]["linear AE"].val_mse(), rel=1e-6)


def test_pca_with_32_components_keeps_96_percent_of_the_variance():
    """"at 32 components it keeps 96 % of the variance\" (of the validation digits)."""
    assert 1 - pca_mse(32) / ae.mean_image_mse() == pytest.approx(0.96, abs=0.007)


# ------------------------------------------------------------------ the linear twin is PCA
def test_a_linear_autoencoder_reaches_pca_but_never_beats_it(default_runs, size_runs):
    """"its decoder spans the same subspace as PCA's top k components … the angles stay within
    about 5° and the MSE within 3 % of PCA's for sizes up to 16\"; "Its linear twin ends on PCA's line\"."""
    linear = {2: default_runs[0]["linear AE"], 8: size_runs[8]["linear AE"], 16: size_runs[16]["linear AE"]}
    for k, t in linear.items():
        assert pca_mse(k) * 0.999 <= t.val_mse() <= 1.03 * pca_mse(k), k
        assert ae.angles_to_pca(t).max() < 5.5, (k, ae.angles_to_pca(t))


def test_at_32_the_linear_twin_is_within_about_10_percent(size_runs):
    """"at 32 the last directions carry so little variance that 1,000 steps of Adam leave some of
    them unsettled (the MSE is then within about 10 %).\""""
    t = size_runs[32]["linear AE"]
    assert pca_mse(32) <= t.val_mse() <= 1.12 * pca_mse(32)
    angles = ae.angles_to_pca(t)
    assert np.median(angles) < 5 and angles.max() > 10  # most settled, the last ones not


def test_the_linear_code_is_pcas_subspace_not_its_axes(default_runs):
    """"It does not find the components themselves — any invertible mixing of them inside the code
    is just as good.\" Its decoder's directions are not the principal components one by one."""
    t = default_runs[0]["linear AE"]
    basis = ae.decoder_basis(t)  # (64, 2)
    basis = basis / basis.norm(dim=0)
    cos = (t.images.pca.components[:2] @ basis).abs()  # (2, 2) |cos| between components and columns
    assert ae.angles_to_pca(t).max() < 5.5  # the same plane …
    assert cos.max(dim=0).values.min() < 0.97  # … but a column that is no principal component


# ------------------------------------------------------------------ denoising
def test_the_denoising_autoencoder_beats_the_plain_one_on_noisy_inputs(size_runs):
    """"at bottleneck 8 and σ = 0.3 about 0.026 against 0.069 for the plain one — not far from the
    0.090 of the noisy input itself; on clean inputs it pays a little for it.\""""
    table = ae.denoising_table(size_runs[8], 0.3)
    assert table["noisy input itself"]["noisy"] == pytest.approx(0.090, abs=0.003)
    assert table["denoising AE"]["noisy"] == pytest.approx(0.026, abs=0.003)
    assert table["autoencoder"]["noisy"] == pytest.approx(0.069, abs=0.005)
    assert table["denoising AE"]["clean"] > table["autoencoder"]["clean"]
    assert table["denoising AE"]["clean"] < 1.5 * table["autoencoder"]["clean"]


# ------------------------------------------------------------------ the VAE
def test_vae_with_a_2d_code_reconstructs_within_10_percent_and_its_codes_look_like_the_prior(default_runs, vae_runs):
    """"With a 2-D code and β = 0.3 … its reconstruction error is within about 10 % of the plain
    autoencoder's, and its codes spread around 0 with a standard deviation near 1.\""""
    vae = vae_runs[2, 0.3]
    assert vae.status == "finished"
    assert vae.val_mse() <= 1.1 * default_runs[0]["autoencoder"].val_mse()
    mu = vae.encode(vae.images.dataset.x_val)  # (n_val, 2)
    assert mu.mean(dim=0).abs().max() < 0.15
    assert torch.all((mu.std(dim=0) > 0.75) & (mu.std(dim=0) < 1.15)), mu.std(dim=0)


def test_larger_codes_cost_the_vae_more(default_runs, size_runs, vae_runs):
    """"Larger codes cost it more: the KL term charges for every dimension it uses.\""""
    at2 = vae_runs[2, 0.3].val_mse() / default_runs[0]["autoencoder"].val_mse()
    at8 = vae_runs[8, 0.3].val_mse() / size_runs[8]["autoencoder"].val_mse()
    assert at8 > at2 + 0.3, (at2, at8)


def test_a_large_beta_collapses_every_code_onto_the_prior(vae_runs):
    """"Push β to 3 and the KL term wins: every code collapses onto the prior (KL ≈ 0 …) and the
    decoder outputs the mean image — posterior collapse.\""""
    vae = vae_runs[2, 3.0]
    assert ae.kl_per_example(vae) < 0.05
    assert vae.val_mse() == pytest.approx(ae.mean_image_mse(), rel=0.02)
    assert ae.kl_per_example(vae_runs[2, 0.3]) > 1.0  # at β = 0.3 the code still carries information


def test_the_reparameterisation_trick_lets_the_gradient_reach_sigma(vae_runs):
    """"z = μ + σ·ε … is a differentiable function of μ and σ and the gradient reaches the encoder
    by the ordinary chain rule.\" The reconstruction term alone (no KL) gives σ's weights a gradient."""
    model = ae.AutoencoderTrainer(replace(DEFAULT.model, variational=True), DEFAULT.train, device="cpu").model
    x = ae.digit_images().dataset.x_train[:64]
    model.train()
    ((model(x) - x) ** 2).mean().backward()
    code = model.encoder[1]  # rows 0..1: μ, rows 2..3: log σ²
    assert code.weight.grad[2:].abs().sum() > 0 and code.weight.grad[:2].abs().sum() > 0
    model.eval()
    assert torch.equal(model(x), model(x))  # eval mode: z = μ, no sampling


# ------------------------------------------------------------------ anomalies, the walk, divergence
def test_reconstruction_error_flags_shuffled_images_and_most_stamped_digits(default_runs):
    """"With the threshold at the digits' 95th percentile (5 % false alarms), every shuffled image and
    most stamped digits are flagged.\""""
    scores = ae.anomaly_scores(default_runs[0]["autoencoder"])
    assert scores.flagged["digits"] == pytest.approx(0.05, abs=0.005)
    assert scores.flagged["shuffled pixels (no digit)"] == 1.0
    assert scores.flagged["digits with an ink block"] > 0.6


def test_nearby_codes_decode_to_similar_images(default_runs):
    """"nearby codes give similar images: digits morph into one another along the grid.\""""
    images, _ = ae.latent_walk(default_runs[0]["autoencoder"], n=9)  # (9, 9, 8, 8)
    flat = images.reshape(81, 64)
    neighbours = np.mean([((images[i, j] - images[i, j + 1]) ** 2).mean() for i in range(9) for j in range(8)])
    g = np.random.default_rng(0)
    a, b = g.integers(0, 81, 500), g.integers(0, 81, 500)
    far = ((flat[a] - flat[b]) ** 2).mean()
    assert neighbours < 0.3 * far


def test_a_learning_rate_of_10_diverges_at_once_with_a_message():
    """"A learning rate of 10 diverges at once ("diverged at step N").\""""
    runs = trained(replace(DEFAULT, train=replace(DEFAULT.train, lr=10.0)))
    for t in runs.values():
        assert t.diverged and t.step <= 10 and t.message.startswith("diverged at step")
