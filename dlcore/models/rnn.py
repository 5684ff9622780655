"""Recurrent networks: a vanilla RNN, an LSTM or a GRU reading a sequence, classified from its
last hidden state — and the cells written out by hand, to read their gates.

The three cells, as PyTorch computes them (``nn.RNN``, ``nn.LSTM``, ``nn.GRU``; σ = sigmoid,
⊙ = element-wise product, every gate has its own weights on x_t and h_{t-1} and two biases):

    RNN    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)        (or ReLU instead of tanh)

    LSTM   i_t = σ(…)  f_t = σ(…)  g_t = tanh(…)  o_t = σ(…)     input, forget, candidate, output
           c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                        the cell state: an additive path
           h_t = o_t ⊙ tanh(c_t)

    GRU    r_t = σ(…)  z_t = σ(…)                                  reset, update
           n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
           h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Note PyTorch's GRU convention: z_t near 1 *keeps* the old state (Cho et al. 2014 write it the
other way round, h_t = z_t ⊙ h̃_t + (1 − z_t) ⊙ h_{t-1}; the two differ only by z ↔ 1 − z).

Weights start as PyTorch's defaults, U(−1/√H, 1/√H) for every weight and bias, drawn from the
run's own seeded generator. The LSTM's forget-gate bias is then set to ``forget_bias`` (in
``bias_ih``, with the forget part of ``bias_hh`` zeroed, so the gate's total bias is exactly
that value): σ(3) ≈ 0.95 keeps most of the cell state each step from the start (Gers et al.
2000; Jozefowicz et al. 2015 recommend 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..checks import check_choice, check_range
from ..recorder import Layer

CELLS = ("rnn", "lstm", "gru")
NONLINEARITIES = ("tanh", "relu")
CELL_LABELS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
GATES_PER_CELL = {"rnn": 1, "lstm": 4, "gru": 3}  # blocks of H rows in W_ih, W_hh and the biases


@dataclass(frozen=True)
class RecurrentConfig:
    """A one-layer recurrent network with a linear read-out of its last hidden state."""

    cell: str = "lstm"  # rnn (vanilla, tanh), lstm or gru
    hidden: int = 32  # units of the hidden state h (and of the LSTM's cell state c)
    forget_bias: float = 3.0  # LSTM only: the forget gate's initial bias (σ(3) ≈ 0.95 remembers)
    recurrent_scale: float = 1.0  # multiplies the initial recurrent weights W_hh (large: exploding)
    nonlinearity: str = "tanh"  # vanilla RNN only: tanh (bounded) or relu (unbounded: can explode)

    def __post_init__(self) -> None:
        check_choice("cell", self.cell, CELLS)
        check_range("hidden size", self.hidden, 1, 512)
        check_range("forget-gate bias", self.forget_bias, -10.0, 10.0)
        check_range("recurrent weight scale", self.recurrent_scale, 0.0, 100.0, low_open=True)
        check_choice("RNN non-linearity", self.nonlinearity, NONLINEARITIES)


class RecurrentNet(nn.Module):
    """``cell`` over the sequence, then ``head`` on the last hidden state.

    Input ``(batch, time, features)``, output logits ``(batch, n_out)``.
    """

    def __init__(self, n_in: int, n_out: int, cfg: RecurrentConfig):
        super().__init__()
        self.cfg = cfg
        if cfg.cell == "rnn":
            self.cell = nn.RNN(n_in, cfg.hidden, nonlinearity=cfg.nonlinearity, batch_first=True)
        else:
            self.cell = {"lstm": nn.LSTM, "gru": nn.GRU}[cfg.cell](n_in, cfg.hidden, batch_first=True)
        self.head = nn.Linear(cfg.hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.cell(x)  # (batch, time, hidden)
        return self.head(out[:, -1])  # (batch, n_out)

    def layers(self) -> list[Layer]:
        """What the recorder watches: the recurrent layer (its hidden states) and the read-out."""
        relu = self.cfg.cell == "rnn" and self.cfg.nonlinearity == "relu"
        return [Layer(CELL_LABELS[self.cfg.cell], self.cell, "relu" if relu else "tanh"), Layer("output", self.head)]


def build_recurrent(n_in: int, n_out: int, cfg: RecurrentConfig, seed: int = 0) -> RecurrentNet:
    """The network of ``cfg``, its weights drawn from a generator seeded with ``seed`` (no global
    random state is used or changed)."""
    with torch.random.fork_rng(devices=[]):  # the modules' own default init draws globally: undo it
        model = RecurrentNet(n_in, n_out, cfg)
    g = torch.Generator().manual_seed(seed)
    bound = 1.0 / math.sqrt(cfg.hidden)  # PyTorch's default for recurrent layers and this head
    H = cfg.hidden
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-bound, bound, generator=g)
        model.cell.weight_hh_l0.mul_(cfg.recurrent_scale)
        if cfg.cell == "lstm":  # gate order in PyTorch's LSTM: input, forget, candidate, output
            model.cell.bias_ih_l0[H : 2 * H] = cfg.forget_bias
            model.cell.bias_hh_l0[H : 2 * H] = 0.0
    return model




def cell_parameter_formula(cell: str, n_in: int, hidden: int) -> int:
    """Parameters of one recurrent layer: gates × (H·n_in + H·H + 2H) — PyTorch keeps two bias
    vectors per gate. RNN 1 gate, GRU 3, LSTM 4: a GRU has 3/4 of an LSTM's parameters."""
    return GATES_PER_CELL[cell] * (hidden * n_in + hidden * hidden + 2 * hidden)


# ------------------------------------------------------------------ the cells by hand
def _split(cell: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Input projections of every step at once, and the recurrent weights and bias."""
    xw = x @ cell.weight_ih_l0.T + cell.bias_ih_l0  # (batch, time, gates·H)
    return xw, cell.weight_hh_l0, cell.bias_hh_l0


def lstm_trace(lstm: nn.LSTM, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Run ``lstm`` step by step on ``x`` (batch, time, features) from zero states, keeping
    every gate: ``{"input", "forget", "candidate", "output", "cell", "hidden"}``, each
    (batch, time, hidden). ``hidden`` equals ``lstm(x)[0]`` (tested)."""
    xw, w_hh, b_hh = _split(lstm, x)
    batch, steps = x.shape[:2]
    h = c = x.new_zeros(batch, lstm.hidden_size)  # (batch, hidden)
    names = ("input", "forget", "candidate", "output", "cell", "hidden")
    out: dict[str, list[torch.Tensor]] = {k: [] for k in names}
    for t in range(steps):
        pre = xw[:, t] + h @ w_hh.T + b_hh  # (batch, 4·hidden)
        i, f, g, o = pre.chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g  # the additive path: ∂c_t/∂c_{t-1} = f_t (element-wise)
        h = o * torch.tanh(c)
        for k, v in zip(names, (i, f, g, o, c, h)):
            out[k].append(v)
    return {k: torch.stack(v, dim=1) for k, v in out.items()}


def gru_trace(gru: nn.GRU, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Run ``gru`` step by step on ``x`` (batch, time, features) from a zero state, keeping
    ``{"reset", "update", "candidate", "hidden"}``, each (batch, time, hidden). ``update`` is
    PyTorch's z: the share of the old state kept. ``hidden`` equals ``gru(x)[0]`` (tested)."""
    xw, w_hh, b_hh = _split(gru, x)
    batch, steps = x.shape[:2]
    h = x.new_zeros(batch, gru.hidden_size)  # (batch, hidden)
    names = ("reset", "update", "candidate", "hidden")
    out: dict[str, list[torch.Tensor]] = {k: [] for k in names}
    for t in range(steps):
        x_r, x_z, x_n = xw[:, t].chunk(3, dim=1)
        h_r, h_z, h_n = (h @ w_hh.T + b_hh).chunk(3, dim=1)  # (batch, hidden) each
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h = (1 - z) * n + z * h
        for k, v in zip(names, (r, z, n, h)):
            out[k].append(v)
    return {k: torch.stack(v, dim=1) for k, v in out.items()}
