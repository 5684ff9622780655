"""A small convolutional network for 8×8 images, built from a ``CNNConfig``.

    x (n, 1, 8, 8) ─ ConvBlock 1 ─ … ─ ConvBlock depth ─ head ─ logits (n, classes)
    ConvBlock = Conv2d(k×k, stride, padding) -> ReLU
    head      = global average pool -> Linear        ("gap": one number per channel)
              | flatten -> Linear                    ("flatten": one weight per channel *and* position)
              | 2×2 max pool, stride 2 -> flatten -> Linear   ("pool")

Every spatial size follows the output-size formula of a convolution or pooling layer,

    out = ⌊(n + 2p − k) / s⌋ + 1        (input side n, kernel k, padding p, stride s),

and the receptive field of a unit after layer l grows as ``r_l = r_{l−1} + (k_l − 1)·j_{l−1}``,
``j_l = j_{l−1}·s_l`` (j: the distance in input pixels between neighbouring units), from r_0 = j_0 = 1.
The config checks these sizes, so a setting whose image shrinks to nothing is refused with a sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..checks import check, check_choice, check_range
from ..recorder import Layer

HEADS = ("gap", "flatten", "pool")
PADDINGS = ("same", "valid")
PADDING_MODES = ("zeros", "circular")


def output_size(n: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """The side of a convolution's (or pooling's) output: ⌊(n + 2p − k) / s⌋ + 1 (≤ 0: nothing left)."""
    return (n + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class CNNConfig:
    """A stack of k×k convolutions (ReLU after each) and a classification head."""

    channels: int = 8  # feature maps (filters) of the first layer; each further layer has twice as many
    depth: int = 2  # convolutional layers
    kernel: int = 3  # side k of every k×k filter
    padding: str = "same"  # same: k // 2 zeros around the input (side kept at stride 1); valid: none
    stride: int = 1  # step of every convolution (2 halves the side)
    head: str = "gap"  # gap (global average pool), flatten, or pool (2×2 max pool, stride 2, then flatten)
    image: int = 8  # side of the square input image
    in_channels: int = 1  # input channels (1: grey digits)
    n_classes: int = 10  # outputs of the head
    bias: bool = False  # a bias per filter; without one, an empty region and the zero padding both stay 0
    padding_mode: str = "zeros"  # zeros, or circular (wrap around: exact equivariance under torch.roll)

    def __post_init__(self) -> None:
        check_range("channels", self.channels, 1, 64)
        check_range("depth", self.depth, 1, 6)
        check(self.kernel in (1, 3, 5, 7), f"kernel size must be 1, 3, 5 or 7 (odd, so a filter has a centre), "
                                           f"got {self.kernel}")
        check_choice("padding", self.padding, PADDINGS)
        check_range("stride", self.stride, 1, 3)
        check_choice("head", self.head, HEADS)
        check_range("image size", self.image, 1, 512)
        check_range("input channels", self.in_channels, 1, 16)
        check_range("number of classes", self.n_classes, 1, 1000)
        check_choice("padding mode", self.padding_mode, PADDING_MODES)
        sides = self.sides()
        shrinking = " → ".join(str(s) for s in sides)
        check(min(sides) >= 1, f"with {self.depth} layers of {self.kernel}×{self.kernel} filters, {self.padding} "
                               f"padding and stride {self.stride}, the {self.image}×{self.image} image shrinks to "
                               f"nothing ({shrinking}); use fewer layers, padding, a smaller kernel or stride 1")
        if self.head == "pool":
            check(sides[-1] >= 2, f"2×2 max pooling needs feature maps of at least 2×2, but they are "
                                  f"{sides[-1]}×{sides[-1]} ({shrinking}); pick another head or fewer layers")

    @property
    def pad(self) -> int:
        """Zeros added on each side: k // 2 for "same", 0 for "valid"."""
        return self.kernel // 2 if self.padding == "same" else 0

    def sides(self) -> list[int]:
        """The side of the image, then of each layer's feature maps (and the pooled maps for "pool"),
        by the output-size formula."""
        sides = [self.image]
        for _ in range(self.depth):
            sides.append(output_size(sides[-1], self.kernel, self.pad, self.stride))
            if sides[-1] < 1:
                break
        if self.head == "pool" and sides[-1] >= 2:
            sides.append(output_size(sides[-1], 2, 0, 2))
        return sides

    def receptive_fields(self) -> list[int]:
        """The receptive field (side, in input pixels) of a unit after each convolution (and the pooling)."""
        r, j, out = 1, 1, []
        layers = [(self.kernel, self.stride)] * self.depth + ([(2, 2)] if self.head == "pool" else [])
        for k, s in layers:
            r, j = r + (k - 1) * j, j * s
            out.append(r)
        return out

    def widths(self) -> list[int]:
        """Channels of each convolutional layer: channels, 2·channels, 4·channels, …"""
        return [self.channels * 2**i for i in range(self.depth)]

    def head_features(self) -> int:
        """How many numbers the final Linear layer reads."""
        side, last = self.sides()[-1], self.widths()[-1]
        return last if self.head == "gap" else last * side * side


class ConvBlock(nn.Module):
    """One convolutional layer: Conv2d -> ReLU. (batch, c_in, n, n) -> (batch, c_out, n', n')."""

    def __init__(self, c_in: int, c_out: int, cfg: CNNConfig):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, cfg.kernel, stride=cfg.stride, padding=cfg.pad,
                              padding_mode=cfg.padding_mode, bias=cfg.bias)
        self.act = nn.ReLU(inplace=True)  # nothing else reads the convolution's output: no copy (same numbers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class CNN(nn.Module):
    """``depth`` convolutional blocks (``channels``, then twice as many at each layer), then ``cfg.head``."""

    def __init__(self, cfg: CNNConfig, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        with torch.random.fork_rng(devices=[]):  # the layers' default init draws from the global RNG: restore it
            self._build(cfg, seed)

    def _build(self, cfg: CNNConfig, seed: int) -> None:
        chans = [cfg.in_channels] + cfg.widths()
        self.blocks = nn.ModuleList(ConvBlock(a, b, cfg) for a, b in zip(chans, chans[1:]))
        self.pool = nn.MaxPool2d(2, stride=2) if cfg.head == "pool" else nn.Identity()
        self.head = nn.Linear(cfg.head_features(), cfg.n_classes)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for block in self.blocks:  # He normal: Var(w) = 2 / fan_in, fan_in = c_in · k²
                w = block.conv.weight  # (c_out, c_in, k, k)
                w.copy_(torch.randn(w.shape, generator=generator) * math.sqrt(2.0 / w[0].numel()))
                if block.conv.bias is not None:
                    block.conv.bias.zero_()
            w = self.head.weight  # (classes, features): Xavier normal
            w.copy_(torch.randn(w.shape, generator=generator) * math.sqrt(2.0 / sum(w.shape)))
            self.head.bias.zero_()

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The feature maps after every block: [(batch, channels, n_1, n_1), …]."""
        maps = []
        for block in self.blocks:
            x = block(x)
            maps.append(x)
        return maps

    def head_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the final Linear layer reads, (batch, head_features)."""
        h = self.pool(self.features(x)[-1])  # (batch, channels, n', n')
        return h.mean(dim=(2, 3)) if self.cfg.head == "gap" else h.flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.head_input(x))  # (batch, classes)

    def layers(self) -> list[Layer]:
        """What the recorder watches: each block (its Conv2d kernel; its ReLU output) and the head."""
        return [Layer(f"conv {i + 1}", b, "relu") for i, b in enumerate(self.blocks)] + [Layer("output", self.head)]


def build_cnn(cfg: CNNConfig, seed: int = 0) -> CNN:
    """An initialised CNN on the CPU, its weights drawn from a generator seeded with ``seed``."""
    return CNN(cfg, seed)


