"""Unit tests of the autoencoder model and laboratory: shapes, formulas against references,
reproducibility, and readable errors on bad settings."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dlcore import TrainConfig
from dlcore.labs import autoencoder as ae
from dlcore.models.autoencoder import (
    AutoencoderConfig,
    GaussianNoise,
    build_autoencoder,
    kl_to_standard_normal,
    reparameterise,
)

SHORT = TrainConfig(lr=0.01, batch_size=64, steps=30, record_every=10)


def trainer(**kw) -> ae.AutoencoderTrainer:
    beta = kw.pop("beta", 1.0)
    train = kw.pop("train", SHORT)
    return ae.AutoencoderTrainer(AutoencoderConfig(**kw), train, beta=beta, device="cpu")


@pytest.mark.parametrize("field, value, message", [
    ("latent", 0, "bottleneck size must be ≥ 1"),
    ("hidden", 0, "hidden width must be ≥ 1"),
    ("activation", "softmax", "activation must be one of"),
    ("noise", -0.1, "input noise must be ≥ 0"),
    ("variational", "yes", "variational must be True or False"),
])
def test_bad_model_settings_raise_a_sentence(field, value, message):
    with pytest.raises(ValueError, match=message):
        AutoencoderConfig(**{field: value})


def test_bad_setup_and_beta_raise_a_sentence():
    with pytest.raises(ValueError, match="denoising noise must be ≥ 0"):
        ae.Setup(denoise=-1.0)
    with pytest.raises(ValueError, match="β"):
        ae.Setup(beta=-0.5)
    with pytest.raises(ValueError, match="β"):
        trainer(beta=-1.0)


@pytest.mark.parametrize("variational", [False, True])
def test_shapes_and_instrumented_layers(variational):
    model = build_autoencoder(AutoencoderConfig(latent=3, hidden=16, variational=variational))
    x = torch.randn(5, 64)
    assert model(x).shape == (5, 64)
    assert model.encode(x).shape == (5, 3) and model.decode(torch.zeros(5, 3)).shape == (5, 64)
    assert [layer.name for layer in model.layers()] == ["encoder hidden", "code", "decoder hidden", "output"]
    if variational:
        assert model.mu.shape == model.logvar.shape == (5, 3) and model.kl.shape == (5,)


def test_the_trainer_records_every_layer_and_targets_are_the_inputs():
    t = trainer(hidden=16).run()
    ds = t.images.dataset
    assert torch.equal(ds.x_train, ds.y_train) and torch.equal(ds.x_val, ds.y_val)
    last = t.recorder.records[-1]
    assert t.status == "finished" and [r.step for r in t.recorder.records] == [0, 10, 20, 30]
    assert [s.name for s in last.layers] == ["encoder hidden", "code", "decoder hidden", "output"]
    assert last.layers[0].act is not None and last.layers[1].act is None
    assert all(s.grad_norm > 0 for s in last.layers)


def test_same_seed_same_run_and_another_seed_another():
    a, b = trainer(noise=0.3).run(), trainer(noise=0.3).run()
    c = trainer(noise=0.3, train=replace(SHORT, seed=1)).run()
    assert a.losses == b.losses and a.losses != c.losses
    v1, v2 = trainer(variational=True).run(), trainer(variational=True).run()
    assert v1.losses == v2.losses


def test_noise_is_on_while_training_only_and_reproducible():
    layer = GaussianNoise(0.5, seed=3)
    x = torch.zeros(4, 64)
    first = layer(x)
    assert first.std().item() == pytest.approx(0.5, rel=0.2)
    assert torch.equal(GaussianNoise(0.5, seed=3)(x), first)
    assert not torch.equal(layer(x), first)  # a fresh draw at every step
    assert torch.equal(layer.eval()(x), x)


def test_recorded_losses_use_clean_inputs_in_eval_mode():
    t = trainer(noise=0.5).run()
    assert t.recorder.records[-1].val_loss == pytest.approx(t.val_mse(), rel=1e-5)
    assert t.model.training  # measuring leaves the model as training found it


def test_kl_matches_torch_distributions_and_is_zero_at_the_prior():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    expected = torch.distributions.kl_divergence(q, p).sum(dim=1)
    torch.testing.assert_close(kl_to_standard_normal(mu, logvar), expected)
    assert kl_to_standard_normal(torch.zeros(2, 3), torch.zeros(2, 3)).abs().max() == 0


def test_reparameterised_samples_have_mean_mu_and_std_sigma():
    mu, logvar = torch.full((100_000, 1), 2.0), torch.full((100_000, 1), np.log(0.25))
    z = reparameterise(mu, logvar, torch.Generator().manual_seed(0))
    assert z.mean().item() == pytest.approx(2.0, abs=0.01)
    assert z.std().item() == pytest.approx(0.5, abs=0.01)


def test_pca_is_orthonormal_sorted_and_exact_with_all_components():
    x = ae.digit_images().dataset.x_train
    pca = ae.fit_pca(x)
    torch.testing.assert_close(pca.components @ pca.components.T, torch.eye(64), atol=1e-4, rtol=0)
    assert torch.all(pca.variances[:-1] >= pca.variances[1:])
    torch.testing.assert_close(pca.reconstruct(x, 64), x, atol=1e-4, rtol=0)
    cov_eigs = np.linalg.eigvalsh(np.cov(x.numpy().T))[::-1].copy()
    np.testing.assert_allclose(pca.variances.numpy()[:10], cov_eigs[:10], rtol=1e-3)
    ks, curve = ae.pca_mse_curve(range(1, 65))
    assert np.all(np.diff(curve) <= 1e-7) and curve[-1] < 1e-8


def test_principal_angles_of_same_orthogonal_and_mixed_subspaces():
    eye = torch.eye(64)
    a = eye[:, :2]
    np.testing.assert_allclose(ae.principal_angles(a, a @ torch.tensor([[2.0, 1.0], [0.5, -1.0]])), 0, atol=1e-5)
    np.testing.assert_allclose(ae.principal_angles(a, eye[:, 2:4]), 90, atol=1e-5)


def test_knn_accuracy_on_separated_and_on_mixed_points():
    z = torch.tensor([[0.0, 0], [0.1, 0], [0.2, 0], [5, 5], [5.1, 5], [5.2, 5]])
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    assert ae.knn_accuracy(z, y, z + 0.01, y, k=3) == 1.0
    assert ae.knn_accuracy(z, y, z + 0.01, 1 - y, k=3) == 0.0


def test_digit_images_give_back_the_raw_pixels_with_the_mean():
    img = ae.digit_images()
    raw = img.dataset.x_train + img.mean  # sixteenths in [0, 1]
    assert raw.min() > -1e-5 and raw.max() < 1 + 1e-5
    np.testing.assert_allclose((raw * 16).numpy(), np.round((raw * 16).numpy()), atol=1e-4)
    assert len(img.labels_train) == 1258 and len(img.labels_val) == 539


def test_setup_trains_the_variants_asked_for():
    assert list(ae.Setup().trainers("cpu")) == ["autoencoder", "linear AE"]
    names = list(ae.Setup(linear=False, denoise=0.2, beta=0.3).trainers("cpu"))
    assert names == ["autoencoder", "denoising AE", "VAE"]


def test_pictures_have_the_shapes_the_charts_expect():
    t = trainer(latent=5, hidden=16).run()
    images, axis = ae.latent_walk(t, n=7)
    assert images.shape == (7, 7, 8, 8) and axis.shape == (7,)
    cm = ae.code_map(t)
    assert cm.ae.shape == cm.pca.shape == (539, 2) and cm.latent == 5
    rows = ae.reconstructions({"autoencoder": t, "denoising AE": trainer(noise=0.3)}, [0, 3, 7])
    assert list(rows) == ["original", "autoencoder", "noisy input", "denoising AE (from noisy)", "PCA, 5 components"]
    assert all(r.shape == (3, 8, 8) for r in rows.values())
    assert ae.prior_samples(trainer(variational=True), n=4).shape == (4, 8, 8)


def test_anomaly_inputs_keep_the_ink_or_stamp_a_block():
    img = ae.digit_images()
    x = img.dataset.x_val[:20]
    shuffled = ae.shuffled_pixels(x, img.mean) + img.mean
    torch.testing.assert_close(shuffled.sort(dim=1).values, (x + img.mean).sort(dim=1).values)
    stamped = (ae.occluded(x, img.mean) + img.mean).reshape(-1, 8, 8)
    assert all(((s == 1.0).sum() >= 9) for s in stamped)


def test_a_finished_run_looked_at_by_every_section_stays_frozen():
    """A finished run is shared by every session (ui.results): looking at it may only read it. The
    trainer once switched its model back to train mode after every measurement, and the KL was read
    from ``model.kl``, which any other session's forward pass overwrites."""
    setup = replace(ae.DEFAULT, train=replace(ae.DEFAULT.train, steps=20), denoise=0.3, beta=0.3)
    runs = setup.trainers()

    def refuse(*_args, **_kwargs):
        raise AssertionError("a frozen network was switched to another mode")

    for t in runs.values():
        t.run()
        t.freeze()
        t.model.train = refuse
    vae, ok = runs["VAE"], dict(runs)
    ae.code_map(runs["autoencoder"])
    ae.latent_walk(runs["autoencoder"], n=3)
    ae.latent_walk(vae, n=3, span=2.0)
    ae.reconstructions(ok, [0, 1], noise=0.3)
    ae.denoising_table(ok, 0.3)
    ae.angles_to_pca(runs["linear AE"])
    ae.anomaly_scores(runs["autoencoder"])
    ae.prior_samples(vae, n=2)
    vae.model.kl = None  # what another session's forward pass could leave there: not read, not written
    assert ae.kl_per_example(vae) > 0 and vae.model.kl is None
    assert all(not t.model.training for t in runs.values())
