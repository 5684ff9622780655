"""A small Transformer encoder with self-attention written out, so its weights can be shown.

    tokens (batch, T) -> embedding + positional encoding -> N × encoder block -> LayerNorm -> logits (batch, T, vocab)

An encoder block (pre-LN, as GPT-2 and most modern Transformers; ``norm="post"`` gives the
original paper's order):

    pre-LN:   h = x + Attention(LN(x));    y = h + FeedForward(LN(h))
    post-LN:  h = LN(x + Attention(x));    y = LN(h + FeedForward(h))

Self-attention (Vaswani et al., 2017, "Attention is all you need"), for each head:

    Q = X W_Q,  K = X W_K,  V = X W_V                  (T, d_head) each
    A = softmax(Q Kᵀ / √d_head)                        (T, T): row i = how much query i reads each key
    head = A V                                         (T, d_head)
    output = concat(heads) W_O                         (T, d_model)

Without a positional encoding nothing in this stack knows where a token sits: permuting the
input tokens permutes the outputs the same way (the encoder is permutation-equivariant).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..checks import check, check_choice, check_range
from ..recorder import Layer

POSITIONAL = ("learned", "sinusoidal", "none")
NORM_PLACEMENT = ("pre", "post")


@dataclass(frozen=True)
class TransformerConfig:
    """A Transformer encoder over sequences of tokens (digits by default)."""

    vocab: int = 10  # token ids 0 … vocab − 1 (the ten digits)
    length: int = 8  # tokens per sequence (the positions a learned encoding knows)
    d_model: int = 32  # width of every token's vector
    heads: int = 2  # attention heads per layer; each works in d_model / heads dimensions
    layers: int = 1  # encoder blocks
    d_ff: int = 64  # hidden units of each block's feed-forward network
    positional: str = "learned"  # learned (a trained vector per position), sinusoidal (fixed) or none
    norm: str = "pre"  # pre-LN (LayerNorm before each sub-layer) or post-LN (after the residual sum)
    scale: bool = True  # divide the scores by √d_head (False shows why one does)
    seed: int = 0  # initial weights

    def __post_init__(self) -> None:
        check_range("vocabulary size", self.vocab, 2, 1000)
        check_range("sequence length", self.length, 1, 4096)
        check_range("model width d_model", self.d_model, 1, 1024)
        check_range("number of heads", self.heads, 1, 64)
        check(self.d_model % self.heads == 0,
              f"the model width ({self.d_model}) must split evenly over the heads ({self.heads})")
        check_range("number of layers", self.layers, 1, 12)
        check_range("feed-forward width", self.d_ff, 1, 4096)
        check_choice("positional encoding", self.positional, POSITIONAL)
        check_choice("LayerNorm placement", self.norm, NORM_PLACEMENT)

    @property
    def d_head(self) -> int:
        return self.d_model // self.heads


def softmax(scores: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension, written out: exp(s_j − max s) / Σ_k exp(s_k − max s).
    Subtracting the row's maximum changes nothing mathematically and keeps exp from overflowing.
    (On short rows like these 8 keys it is also several times faster on a CPU than ``F.softmax``.)"""
    e = (scores - scores.amax(dim=-1, keepdim=True)).exp()
    return e / e.sum(dim=-1, keepdim=True)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
              scale: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention, written out: ``softmax(Q Kᵀ / √d) V``.

    Args:
        q, k, v: (…, T, d) queries, keys and values (any leading dims: batch, heads).
        mask: optional boolean (…, T, T), True where query i may read key j (PyTorch's
            ``scaled_dot_product_attention`` convention); masked scores become −∞ before the softmax.
        scale: divide by √d (default True). Without it the scores' spread grows like √d.

    Returns:
        (output (…, T, d), weights (…, T, T)): each row of weights sums to 1.
    """
    scores = q @ k.transpose(-2, -1)  # (…, T, T)
    if scale:
        scores = scores / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = softmax(scores)  # (…, T, T)
    return weights @ v, weights


def causal_mask(length: int) -> torch.Tensor:
    """(T, T) True on and below the diagonal: position i reads positions ≤ i (a decoder's mask)."""
    return torch.ones(length, length, dtype=torch.bool).tril()


def padding_mask(lengths: torch.Tensor, length: int) -> torch.Tensor:
    """(batch, 1, 1, T) True on real tokens: no query reads the padding after each sequence's end."""
    return (torch.arange(length) < lengths.view(-1, 1)).view(-1, 1, 1, length)


class SelfAttention(nn.Module):
    """Multi-head self-attention with its four projections as plain ``Linear`` layers.

    ``forward`` returns ``(output (batch, T, d_model), weights (batch, heads, T, T))``, like
    ``nn.MultiheadAttention(..., average_attn_weights=False)``.
    """

    def __init__(self, d_model: int, heads: int, scale: bool = True):
        super().__init__()
        self.heads, self.scale = heads, scale
        self.q, self.k, self.v = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, T, d_model) -> (batch, heads, T, d_head)."""
        b, t, d = x.shape
        return x.view(b, t, self.heads, d // self.heads).transpose(1, 2)

    def qkv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Queries, keys and values of every head: (batch, heads, T, d_head) each."""
        return self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        q, k, v = self.qkv(x)  # (batch, heads, T, d_head)
        heads, weights = attention(q, k, v, mask, self.scale)  # (batch, heads, T, d_head), (batch, heads, T, T)
        b, h, t, dh = heads.shape
        return self.out(heads.transpose(1, 2).reshape(b, t, h * dh)), weights  # (batch, T, d_model)


class FeedForward(nn.Sequential):
    """Position-wise: the same two-layer MLP applied to every token's vector."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))


class EncoderBlock(nn.Module):
    """Self-attention then feed-forward, each wrapped in a residual connection and a LayerNorm."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.pre = cfg.norm == "pre"
        self.attn = SelfAttention(cfg.d_model, cfg.heads, cfg.scale)
        self.ff = FeedForward(cfg.d_model, cfg.d_ff)
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if self.pre:
            a, weights = self.attn(self.ln1(x), mask)
            h = x + a  # (batch, T, d_model)
            return h + self.ff(self.ln2(h)), weights
        a, weights = self.attn(x, mask)
        h = self.ln1(x + a)
        return self.ln2(h + self.ff(h)), weights


def sinusoidal_encoding(length: int, d_model: int) -> torch.Tensor:
    """The fixed encoding of the original paper: (T, d_model) with
    PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)  # (T, 1)
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)  # (⌈d/2⌉,)
    pe = torch.zeros(length, d_model)
    pe[:, 0::2] = torch.sin(position * freq)
    pe[:, 1::2] = torch.cos(position * freq)[:, : d_model // 2]
    return pe


class TransformerEncoder(nn.Module):
    """Token embedding + positional encoding, ``layers`` encoder blocks, a final LayerNorm and a
    linear head giving a class (token) for every position: logits (batch, T, vocab)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        with torch.random.fork_rng(devices=[]):  # the modules' default init draws globally: undo it
            self.embed = nn.Embedding(cfg.vocab, cfg.d_model)
            self.position = nn.Parameter(torch.empty(cfg.length, cfg.d_model)) \
                if cfg.positional == "learned" else None
            self.blocks = nn.ModuleList(EncoderBlock(cfg) for _ in range(cfg.layers))
            self.ln = nn.LayerNorm(cfg.d_model) if cfg.norm == "pre" else nn.Identity()
            self.head = nn.Linear(cfg.d_model, cfg.vocab)
        self._init(torch.Generator().manual_seed(cfg.seed))
        fixed = sinusoidal_encoding(cfg.length, cfg.d_model) if cfg.positional == "sinusoidal" else None
        self.register_buffer("fixed_position", fixed, persistent=False)

    @torch.no_grad()
    def _init(self, generator: torch.Generator) -> None:
        """PyTorch's default initialisation, drawn from this model's own seeded generator. Seeding the
        global generator instead is a race: another session's thread may draw from it meanwhile, and
        the same link would then give other weights."""
        for module in self.modules():
            if isinstance(module, nn.Linear):  # U(±1/√fan_in) for weights and biases, as nn.Linear does
                bound = 1.0 / math.sqrt(module.in_features)
                module.weight.uniform_(-bound, bound, generator=generator)
                module.bias.uniform_(-bound, bound, generator=generator)
            elif isinstance(module, nn.Embedding):  # N(0, 1), as nn.Embedding does
                module.weight.normal_(0.0, 1.0, generator=generator)
        if self.position is not None:
            self.position.normal_(0.0, 0.02, generator=generator)

    def positional_encoding(self, length: int) -> torch.Tensor | None:
        """(T, d_model) added to the token embeddings, or None without one."""
        if self.position is not None:
            return self.position[:length]
        if self.fixed_position is not None:
            return self.fixed_position[:length]
        return None

    def encode(self, tokens: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(the last hidden states (batch, T, d_model), attention weights per layer (batch, heads, T, T))."""
        check(tokens.shape[-1] <= self.cfg.length,
              f"the model knows {self.cfg.length} positions; got a sequence of {tokens.shape[-1]}")
        x = self.embed(tokens)  # (batch, T, d_model)
        pe = self.positional_encoding(tokens.shape[-1])
        if pe is not None:
            x = x + pe
        maps = []
        for block in self.blocks:
            x, weights = block(x, mask)
            maps.append(weights)
        return self.ln(x), maps

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.encode(tokens)[0])  # (batch, T, vocab)

    def attention_maps(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        """The attention weights of every layer for ``tokens`` (batch, T): (batch, heads, T, T) each."""
        with torch.no_grad():
            return self.encode(tokens)[1]

    def layers(self) -> list[Layer]:
        """What the recorder watches: each block's attention (its four projections; its output)
        and feed-forward network, and the output head (weights only)."""
        out = []
        for i, block in enumerate(self.blocks):
            out += [Layer(f"attention {i + 1}", block.attn, "identity"),
                    Layer(f"feed-forward {i + 1}", block.ff, "identity")]
        return out + [Layer("output", self.head)]


