"""Claim tests: every sentence the Convolutional networks page teaches that an experiment can check,
run through the page's own lab (dlcore.labs.cnn) and model (dlcore.models.cnn).

The side-by-side runs are trained once per module (one CPU thread), the rest use untrained networks
or shapes alone.
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

from dlcore.labs import cnn as lab
from dlcore.models.cnn import CNNConfig, build_cnn, output_size
from dlcore.models.size import count_parameters

SEEDS = (0, 1, 2)


def trained(**settings) -> dict:
    return {name: t.run() for name, t in lab.experiment(**settings).trainers("cpu").items()}


@pytest.fixture(scope="module")
def default_runs(one_thread):
    """The page's default experiment on seeds 0, 1, 2: {seed: {"MLP": trainer, "CNN": trainer}}."""
    return {seed: trained(seed=seed) for seed in SEEDS}


@pytest.fixture(scope="module")
def accuracy(default_runs):
    return {seed: {name: lab.shift_accuracy(t) for name, t in runs.items()} for seed, runs in default_runs.items()}


@pytest.fixture(scope="module")
def other_heads(one_thread):
    """The same experiment (seed 0) with the other heads, with valid padding, and with 1×1 kernels."""
    runs = {"flatten": trained(head="flatten"), "pool": trained(head="pool"), "valid": trained(padding="valid"),
            "k1": trained(kernel=1)}
    return {label: lab.shift_accuracy(r["CNN"]) for label, r in runs.items()}


# ------------------------------------------------------------------ CNN vs MLP on shifted digits
def test_the_cnn_keeps_its_accuracy_at_a_2_pixel_shift_while_the_mlp_loses_more_than_0_3(accuracy):
    """"Moved by 2 pixels, the CNN's accuracy stays within 0.05 of its accuracy on the digits as they
    are; the MLP loses more than 0.3 at a single pixel and is close to chance (below 0.2) at two.\""""
    for acc in accuracy.values():
        cnn, mlp = acc["CNN"], acc["MLP"]
        assert cnn[0] > 0.8 and mlp[0] > 0.9
        assert abs(cnn[0] - cnn[2]) <= 0.05
        assert mlp[0] - mlp[1] > 0.3 and mlp[2] < 0.2


def test_at_one_pixel_the_gap_cnn_gives_exactly_the_same_accuracy(accuracy):
    """"At one pixel the global-pooling CNN's accuracy does not change at all: its pooled features are the
    same numbers up to float rounding.\""""
    for acc in accuracy.values():
        assert acc["CNN"][1] == pytest.approx(acc["CNN"][0], abs=1e-9)


def test_the_cnn_has_about_a_tenth_of_the_mlps_weights(default_runs):
    """"The CNN has 1,394 weights, the MLP 13,258: about a tenth.\""""
    params = lab.parameters(default_runs[0])
    assert params == {"MLP": 13_258, "CNN": 1_394}


def test_a_flatten_head_is_no_more_shift_invariant_than_the_mlp(other_heads, accuracy):
    """"With a flatten head every position has its own weights again: moved by 2 pixels it falls below 0.2,
    like the MLP.\""""
    acc = other_heads["flatten"]
    assert acc[0] > 0.9 and acc[2] < 0.2 and acc[0] - acc[1] > 0.3


def test_a_2x2_max_pool_forgives_only_part_of_a_one_pixel_shift(other_heads):
    """"A 2×2 max pool before the flatten head absorbs only part of a one-pixel shift (it still loses more
    than 0.2) and none of a two-pixel one (below 0.2).\""""
    acc, flat = other_heads["pool"], other_heads["flatten"]
    assert acc[0] - acc[1] > 0.2 and acc[2] < 0.2
    assert acc[1] > flat[1] + 0.05  # …but more than the flatten head does


def test_valid_padding_loses_more_at_two_pixels_than_same_padding(other_heads, accuracy):
    """"With valid padding the CNN loses more than 0.1 at two pixels: its smaller maps have no positions
    for a digit pushed towards the border.\""""
    valid = other_heads["valid"]
    assert valid[0] - valid[2] > 0.1
    assert valid[0] - valid[2] > accuracy[0]["CNN"][0] - accuracy[0]["CNN"][2] + 0.05


def test_one_by_one_kernels_and_global_pooling_see_only_how_much_ink_there_is(other_heads):
    """"With 1×1 kernels (and no bias) each feature map is a multiple of the image itself, so the pooled
    features only measure the total ink: accuracy falls to near chance (below 0.3).\""""
    assert other_heads["k1"][0] < 0.3
    model = build_cnn(CNNConfig(kernel=1, image=lab.CANVAS), seed=0)
    x = lab.digit_images(lab.DigitsSetup(n_train=50)).x_val[:20]
    features = model.head_input(x).detach()  # (20, 16)
    ink = x.sum(dim=(1, 2, 3)) / x[0].numel()  # (20,) mean pixel value
    torch.testing.assert_close(features, ink[:, None] * features[0] / ink[0], rtol=1e-4, atol=1e-6)


def test_shift_augmentation_helps_the_mlp_but_it_stays_far_below_the_cnn(accuracy, one_thread):
    """"Shift augmentation teaches the MLP some invariance from data (more than 0.15 gained at two pixels,
    while its accuracy on centred digits drops), yet it stays more than 0.3 below the CNN trained without it.\""""
    augmented = lab.shift_accuracy(trained(augment=True)["MLP"])
    assert augmented[0] < accuracy[0]["MLP"][0]
    assert augmented[2] > accuracy[0]["MLP"][2] + 0.15
    assert accuracy[0]["CNN"][2] > augmented[2] + 0.3


# ------------------------------------------------------------------ equivariance and invariance
@pytest.mark.parametrize("settings", [{}, {"bias": True}, {"padding": "valid"}, {"kernel": 5}],
                         ids=["default", "bias", "valid", "k5"])
def test_convolution_is_translation_equivariant_exactly_on_the_interior_and_everywhere_when_circular(settings):
    """"‖conv(shift x) − shift(conv x)‖ is 0 up to float error on every position whose receptive field meets
    neither the padding nor the strip the shift filled in, and everywhere with circular padding and a circular
    shift.\""""
    cfg = lab.experiment(**settings).cnn
    model = build_cnn(cfg, seed=3)
    with torch.no_grad():
        for block in model.blocks:  # non-zero biases, so a bias that broke equivariance would show
            if block.conv.bias is not None:
                block.conv.bias.normal_(generator=torch.Generator().manual_seed(1))
    x = lab.digit_images(lab.DigitsSetup(n_train=50)).x_val[:3]
    for image in x:
        for s in (1, 2):
            eq = lab.equivariance(model, image, s)
            assert eq.interior.sum() > 0
            assert eq.interior_error < 1e-6 and eq.circular_error < 1e-6


def test_with_a_bias_the_padding_shows_at_the_border():
    """"With a bias, an empty region no longer gives 0 while the padding does: near the border the maps of
    the shifted digit differ from the shifted maps.\""""
    model = build_cnn(lab.experiment(bias=True).cnn, seed=3)
    with torch.no_grad():
        for block in model.blocks:
            block.conv.bias.fill_(0.5)
    eq = lab.equivariance(model, lab.digit_images(lab.DigitsSetup(n_train=50)).x_val[0], 1)
    assert eq.interior_error < 1e-6 and eq.border_error > 1e-2


def test_trained_with_a_bias_the_first_layer_biases_end_up_negative_and_the_maps_still_agree(one_thread):
    """"Trained with the bias on (seed 0), every first-layer bias ends up negative, ReLU(b) = 0, and the maps
    still agree everywhere.\""""
    cnn = trained(bias=True)["CNN"]
    assert (cnn.model.blocks[0].conv.bias < 0).all()
    for image in cnn.dataset.x_val[:10]:
        eq = lab.equivariance(cnn.model, image, 1)
        assert eq.interior_error < 1e-6 and eq.border_error < 1e-6


def test_without_bias_and_with_a_wide_blank_margin_the_maps_agree_everywhere(default_runs):
    """"Without a bias, zero padding is just more background: a one-pixel shift of a digit moves its feature
    maps exactly, at every position.\""""
    cnn = default_runs[0]["CNN"]
    for image in cnn.dataset.x_val[:10]:
        eq = lab.equivariance(cnn.model, image, 1)
        assert eq.interior_error < 1e-6 and eq.border_error < 1e-6


def test_global_pooling_is_invariant_and_the_mlp_is_not(default_runs):
    """"What the global-pooling head reads changes by 0 (up to float error) for a one-pixel shift and by
    under 1 % for two; the MLP's first layer changes by more than 50 %.\""""
    runs = default_runs[0]
    x = runs["CNN"].dataset.x_val
    cnn, mlp = lab.invariance(runs["CNN"].model, x), lab.invariance(runs["MLP"].model, x)
    assert cnn[1] < 1e-6 and cnn[2] < 0.01
    assert mlp[1] > 0.5 and mlp[2] > 0.5
    assert max(lab.invariance(runs["CNN"].model, x, circular=True).values()) < 1e-6


def test_stride_two_has_no_equivariance_to_one_pixel_shifts():
    """"With stride 2 the layers are equivariant only to shifts by multiples of the stride.\""""
    model = build_cnn(CNNConfig(stride=2, image=16), seed=0)
    assert lab.equivariance(model, torch.zeros(1, 16, 16), 1) is None
    x = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    twin = lab.circular_twin(model)
    with torch.no_grad():
        base = twin.features(x)[-1]  # (1, 16, 4, 4) after two stride-2 layers: 16 → 8 → 4
        by_four = twin.features(lab.roll(x, 0, 4))[-1]
        by_one = twin.features(lab.roll(x, 0, 1))[-1]
    torch.testing.assert_close(by_four, lab.roll(base, 0, 1))  # 4 input pixels = 1 output pixel
    assert min(float((by_one - lab.roll(base, 0, k)).norm()) for k in range(4)) > 0.1 * float(base.norm())


# ------------------------------------------------------------------ sizes, receptive fields, weights
@pytest.mark.parametrize("n", [5, 8, 14])
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("p", [0, 1, 2])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_the_output_size_formula_equals_the_real_layers_output(n, k, p, s):
    """"A layer's output side is ⌊(n + 2p − k)/s⌋ + 1.\""""
    if n + 2 * p < k:
        return
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p)
    assert conv(torch.zeros(1, 1, n, n)).shape[-1] == output_size(n, k, p, s)
    if k > 1 and p <= k // 2:
        pool = nn.MaxPool2d(k, stride=s, padding=p)
        assert pool(torch.zeros(1, 1, n, n)).shape[-1] == output_size(n, k, p, s)


def test_the_interview_output_size_example():
    """"32×32 input, 5×5 kernel, padding 2, stride 2: ⌊(32 + 4 − 5)/2⌋ + 1 = 16.\""""
    real = nn.Conv2d(1, 1, 5, stride=2, padding=2)(torch.zeros(1, 1, 32, 32)).shape[-1]
    assert output_size(32, 5, 2, 2) == real == 16


@pytest.mark.parametrize("settings", [{}, {"padding": "valid"}, {"stride": 2}, {"depth": 3, "kernel": 5},
                                      {"head": "pool"}, {"depth": 1, "kernel": 1}])
def test_the_pages_size_table_matches_the_network(settings):
    """"Output side, formula and measured" — the page's table, for the network the page trains."""
    cfg = lab.experiment(**settings).cnn
    model = build_cnn(cfg)
    rows = lab.layer_sizes(model)
    assert all(r.output_formula == r.output_measured for r in rows)
    assert [r.output_measured for r in rows] == cfg.sides()[1 : cfg.depth + 1]
    maps = model.features(torch.zeros(1, 1, cfg.image, cfg.image))
    assert [m.shape[-1] for m in maps] == [r.output_measured for r in rows]
    if cfg.head == "pool":
        assert model.pool(maps[-1]).shape[-1] == cfg.sides()[-1]


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize("stride", [1, 2])
def test_the_receptive_field_measured_by_autograd_matches_the_formula(depth, k, stride):
    """"The receptive field grows by k − 1 input pixels per stride-1 layer: 3, 5, 7 for 3×3 filters;
    r_l = r_{l−1} + (k − 1)·j_{l−1}.\""""
    cfg = CNNConfig(depth=depth, kernel=k, stride=stride, image=lab.CANVAS + 8)
    maps = lab.receptive_field_maps(build_cnn(cfg))
    for m, r in zip(maps, cfg.receptive_fields()):
        support = m > 0
        assert int(support.any(0).sum()) == int(support.any(1).sum()) == min(r, cfg.image)
    if stride == 1:
        assert cfg.receptive_fields() == [1 + (k - 1) * (i + 1) for i in range(depth)]


def test_weight_sharing_a_conv_layer_has_thousands_of_times_fewer_weights_than_a_dense_one():
    """"The first conv layer has 72 weights; a dense layer mapping the same 14×14 image to the same 8 maps of
    14×14 would need 308,896: over 4,000 times more.\""""
    model = build_cnn(lab.CNNExperiment().cnn)
    rows = lab.layer_sizes(model)
    assert rows[0].conv_params == 72 and rows[0].dense_params == 308_896
    for r, block in zip(rows, model.blocks):
        conv = block.conv
        assert r.conv_params == conv.in_channels * conv.out_channels * conv.kernel_size[0] ** 2
        n_in, n_out = conv.in_channels * r.input_side**2, conv.out_channels * r.output_measured**2
        assert r.dense_params == count_parameters(nn.Linear(n_in, n_out, device="meta"))
    assert rows[0].dense_params / rows[0].conv_params > 4000


def test_a_1x1_convolution_is_one_dense_layer_applied_at_every_pixel():
    """"A 1×1 convolution is a dense layer over the channels, the same one at every pixel.\""""
    model = build_cnn(CNNConfig(kernel=1, depth=2, channels=4, image=6, bias=True), seed=0)
    with torch.no_grad():
        model.blocks[1].conv.bias.normal_(generator=torch.Generator().manual_seed(0))
    conv = model.blocks[1].conv  # 4 -> 8 channels, 1×1
    x = torch.randn(2, 4, 6, 6, generator=torch.Generator().manual_seed(1))
    dense = nn.Linear(4, 8)
    with torch.no_grad():
        dense.weight.copy_(conv.weight[:, :, 0, 0])
        dense.bias.copy_(conv.bias)
        per_pixel = dense(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # (2, 8, 6, 6)
        torch.testing.assert_close(conv(x), per_pixel)


def test_a_huge_learning_rate_diverges_with_a_message(one_thread):
    """"A learning rate of 10 blows the run up: "diverged at step N", never a crash.\""""
    runs = trained(lr=10.0, steps=100)
    assert any(t.diverged and t.message.startswith("diverged at step") for t in runs.values())
    assert math.isfinite(runs["CNN"].recorder.records[0].train_loss) and np.isfinite(runs["MLP"].losses[0])
