"""Backpropagation by hand: a scalar autograd engine (micrograd-style) and a tiny network on it.

Every ``Value`` is one number of the computational graph. An operation records its inputs
(``parents``) and its *local* derivatives ∂(output)/∂(input), evaluated at the forward values.
``backward`` then applies the chain rule from the loss down, in reverse topological order:

    ∂L/∂L = 1,    ∂L/∂u = Σ over the nodes v that use u of  ∂L/∂v · ∂v/∂u

so each node is visited once after all of its consumers: one backward pass costs about as much
as the forward pass, whatever the number of parameters (reverse-mode differentiation).

The tiny network (2 inputs → ``hidden`` units → 1 output):

    z_j = w_j1·x₁ + w_j2·x₂ + b_j        h_j = f(z_j)        o = Σ_j v_j·h_j + c
    MSE: L = (o − y)²                     BCE: L = −[y·log σ(o) + (1 − y)·log(1 − σ(o))]

Where the code departs from the textbook:
- A weighted sum is one node with many inputs (∂z/∂w_i = x_i, ∂z/∂x_i = w_i, ∂z/∂b = 1),
  not a chain of binary ``+`` and ``×`` nodes: the graph stays small enough to read.
- BCE is applied to the logit ``o``, fusing the sigmoid into the loss as PyTorch's
  ``BCEWithLogitsLoss`` does: its local derivative is simply ∂L/∂o = σ(o) − y, and
  log σ(o) = −softplus(−o) never takes the log of 0, however large |o| grows.
- MSE without the ½ that some books put in front: ∂L/∂o = 2(o − y), as ``F.mse_loss`` gives.
- ReLU's derivative at exactly z = 0 is taken as 0, as PyTorch does (ReLU has no derivative there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .. import data as data_mod
from ..checks import check, check_choice, check_range
from ..config import DataConfig, TrainConfig
from ..trainer import DIVERGENCE_FACTOR, BatchOrder, Stepwise
from ..upload import UploadedData, parse_csv

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu")
LOSSES = ("mse", "bce")
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUBSCRIPTS_BACK = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def sub(i: int) -> str:
    """1 -> '₁': subscripts for node names."""
    return str(i).translate(SUBSCRIPTS)


# ---------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class TinyNetConfig:
    """One example pushed through the tiny network, and how the network is built."""

    x1: float = 1.0  # first input
    x2: float = -0.5  # second input
    target: float = 1.0  # y, what the output should be (in [0, 1] for BCE: a probability)
    hidden: int = 2  # hidden units (the graph shows every one of them)
    activation: str = "tanh"  # f of the hidden layer: sigmoid, tanh or relu
    loss: str = "mse"  # mse (output o is the prediction) or bce (σ(o) is a probability)
    seed: int = 0  # every initial weight and bias is drawn from N(0, 1) with this seed

    def __post_init__(self) -> None:
        for name, v in (("input x₁", self.x1), ("input x₂", self.x2), ("target y", self.target)):
            check_range(name, v, -10.0, 10.0)
        check_range("number of hidden units", self.hidden, 1, 4)
        check_choice("hidden activation", self.activation, HIDDEN_ACTIVATIONS)
        check_choice("loss", self.loss, LOSSES)
        if self.loss == "bce":
            check(0.0 <= self.target <= 1.0,
                   f"with binary cross-entropy the target is a probability, between 0 and 1; got {self.target:g}")
        check_range("seed", self.seed, 0, 2**31 - 1)


# ---------------------------------------------------------------------------------- engine
class Value:
    """One scalar of the graph: its forward value ``data``, ``grad`` = ∂L/∂(this value), and
    how it was made: ``parents`` and the local derivatives ∂(this)/∂(parent) in ``local``
    (numbers) and ``local_formula`` (the same derivatives written as formulas)."""

    __slots__ = ("data", "grad", "parents", "local", "local_formula", "op", "name", "formula", "kind", "unit")

    def __init__(self, data: float, name: str = "", kind: str = "input", parents: tuple = (), local: tuple = (),
                 local_formula: tuple = (), op: str = "", formula: str = "", unit: int | None = None):
        self.data, self.grad = float(data), 0.0
        self.parents, self.local, self.local_formula = parents, local, local_formula
        self.name, self.kind, self.op, self.formula, self.unit = name, kind, op, formula, unit

    def __repr__(self) -> str:
        return f"Value({self.name}={self.data:.4g}, grad={self.grad:.4g})"


def weighted_sum(terms: list[tuple[Value, Value]], bias: Value, name: str, unit: int | None = None) -> Value:
    """z = Σ wᵢ·xᵢ + b for ``terms`` = [(w, x), …]. Local: ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1."""
    parents, local, formulas = [], [], []
    for w, x in terms:
        parents += [w, x]
        local += [x.data, w.data]
        formulas += [x.name, w.name]
    value = math.fsum(w.data * x.data for w, x in terms) + bias.data
    formula = " + ".join(f"{w.name}·{x.name}" for w, x in terms) + f" + {bias.name}"
    return Value(value, name, "sum", (*parents, bias), (*local, 1.0), (*formulas, "1"), "Σ", formula, unit)


def sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^(−x)), computed without overflow for any x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus(x: float) -> float:
    """log(1 + eˣ) without overflow: max(x, 0) + log(1 + e^(−|x|))."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x))) if math.isfinite(x) else max(x, 0.0)


def activation_and_slope(name: str, z: float) -> tuple[float, float, str]:
    """f(z), f′(z) and f′ as a formula template in the output {h} or the input {z}."""
    if name == "sigmoid":
        h = sigmoid(z)
        return h, h * (1.0 - h), "{h}(1 − {h})"
    if name == "tanh":
        h = math.tanh(z)
        return h, 1.0 - h * h, "1 − {h}²"
    if name == "relu":
        return max(z, 0.0), 1.0 if z > 0 else 0.0, "1 if {z} > 0, else 0"
    raise ValueError(f"hidden activation must be one of {', '.join(HIDDEN_ACTIVATIONS)}; got {name!r}")


def activate(z: Value, activation: str, name: str) -> Value:
    """h = f(z), with local derivative ∂h/∂z = f′(z)."""
    h, slope, slope_formula = activation_and_slope(activation, z.data)
    formula = f"{activation}({z.name})"
    return Value(h, name, "activation", (z,), (slope,), (slope_formula.format(h=name, z=z.name),),
                 activation, formula, z.unit)


def loss_of(o: Value, target: float, loss: str, name: str = "L") -> Value:
    """The loss of one example from the output (logit) ``o``: MSE (o − y)², or BCE on σ(o).

    MSE: ∂L/∂o = 2(o − y). BCE with logits: L = y·softplus(−o) + (1 − y)·softplus(o), whose
    derivative simplifies to ∂L/∂o = σ(o) − y (the sigmoid's slope cancels the log's).
    """
    if loss == "mse":
        d = o.data - target
        return Value(d * d, name, "loss", (o,), (2.0 * d,), (f"2({o.name} − y)",), "MSE", f"({o.name} − y)²")
    if loss == "bce":
        value = target * softplus(-o.data) + (1.0 - target) * softplus(o.data)
        return Value(value, name, "loss", (o,), (sigmoid(o.data) - target,), (f"σ({o.name}) − y",), "BCE",
                     f"−[y·log σ({o.name}) + (1 − y)·log(1 − σ({o.name}))]")
    raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {loss!r}")


def mean(values: list[Value], name: str = "L") -> Value:
    """The mean of ``values`` (a batch's loss): ∂(mean)/∂vᵢ = 1/n."""
    n = len(values)
    return Value(math.fsum(v.data for v in values) / n, name, "loss", tuple(values), (1.0 / n,) * n,
                 (f"1/{n}",) * n, "mean", "mean of the examples' losses")


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, each after all of its parents (iterative DFS)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node.parents) if id(p) not in seen)
    return order


def backward(root: Value) -> list[Value]:
    """Fill ``grad`` of every node: ∂root/∂root = 1, then the chain rule in reverse topological
    order, *adding* each consumer's contribution (a value used twice gets both). Returns the order."""
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, node.local):
            parent.grad += node.grad * local
    return order


# ----------------------------------------------------------------------------- tiny network
def param_names(hidden: int) -> list[str]:
    """w_ji (hidden unit j, input i), b_j, then the output layer's v_j and c."""
    names = [n for j in range(1, hidden + 1) for n in (f"w{sub(j)}{sub(1)}", f"w{sub(j)}{sub(2)}", f"b{sub(j)}")]
    return names + [f"v{sub(j)}" for j in range(1, hidden + 1)] + ["c"]


def init_params(cfg: TinyNetConfig) -> dict[str, float]:
    """Every parameter drawn from N(0, 1) with the config's seed (its own generator, float64).

    Biases are drawn too, unlike the usual zero start, so every number of the walk-through is
    non-trivial and no hidden unit starts exactly on ReLU's kink."""
    names = param_names(cfg.hidden)
    g = torch.Generator().manual_seed(cfg.seed)
    draws = torch.randn(len(names), generator=g, dtype=torch.float64).tolist()
    return dict(zip(names, draws))


@dataclass
class Forward:
    """A built graph: the loss node and every named node (parameters, inputs, z, h, o, L)."""

    loss: Value
    nodes: dict[str, Value]
    params: dict[str, Value]


def _build_example(params: dict[str, Value], x1: float, x2: float, target: float, cfg: TinyNetConfig,
                   xs_named: bool = True) -> tuple[Value, list[Value]]:
    x = [Value(x1, "x₁" if xs_named else "", "input"), Value(x2, "x₂" if xs_named else "", "input")]
    hs, nodes = [], list(x)
    for j in range(1, cfg.hidden + 1):
        w = [params[f"w{sub(j)}{sub(i)}"] for i in (1, 2)]
        z = weighted_sum(list(zip(w, x)), params[f"b{sub(j)}"], f"z{sub(j)}", unit=j)
        h = activate(z, cfg.activation, f"h{sub(j)}")
        hs.append(h)
        nodes += [z, h]
    vs = [params[f"v{sub(j)}"] for j in range(1, cfg.hidden + 1)]
    o = weighted_sum(list(zip(vs, hs)), params["c"], "o")
    loss = loss_of(o, target, cfg.loss)
    return loss, nodes + [o, loss]


def _param_values(values: dict[str, float], hidden: int) -> dict[str, Value]:
    """Leaf nodes for the parameters; ``unit`` is the hidden unit j a parameter belongs to (c: none)."""
    out = {}
    for name in param_names(hidden):
        unit = None if name == "c" else int(name[1:2].translate(SUBSCRIPTS_BACK))
        out[name] = Value(values[name], name, "param", unit=unit)
    return out


def forward(cfg: TinyNetConfig, params: dict[str, float] | None = None) -> Forward:
    """The graph of the config's one example (not yet differentiated: call ``backward``)."""
    p = _param_values(params if params is not None else init_params(cfg), cfg.hidden)
    loss, nodes = _build_example(p, cfg.x1, cfg.x2, cfg.target, cfg)
    named = {**p, **{n.name: n for n in nodes}}
    return Forward(loss, named, p)


def hand_gradients(cfg: TinyNetConfig, params: dict[str, float] | None = None) -> dict[str, float]:
    """∂L/∂θ of every parameter by the scalar engine's chain rule."""
    f = forward(cfg, params)
    backward(f.loss)
    return {name: v.grad for name, v in f.params.items()}


def loss_value(cfg: TinyNetConfig, params: dict[str, float]) -> float:
    return forward(cfg, params).loss.data


def torch_loss(cfg: TinyNetConfig, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The same network written the PyTorch way (matrices), for autograd to differentiate."""
    H = cfg.hidden
    W = torch.stack([torch.stack([params[f"w{sub(j)}{sub(i)}"] for i in (1, 2)]) for j in range(1, H + 1)])  # (H, 2)
    b = torch.stack([params[f"b{sub(j)}"] for j in range(1, H + 1)])  # (H,)
    v = torch.stack([params[f"v{sub(j)}"] for j in range(1, H + 1)])  # (H,)
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[cfg.activation]
    h = act(W @ x + b)  # (H,)
    o = v @ h + params["c"]  # ()
    y = torch.tensor(cfg.target, dtype=torch.float64)
    if cfg.loss == "mse":
        return F.mse_loss(o, y)
    return F.binary_cross_entropy_with_logits(o, y)


def autograd_gradients(cfg: TinyNetConfig, params: dict[str, float] | None = None) -> dict[str, float]:
    """∂L/∂θ by PyTorch autograd, float64, on the matrix form of the same network."""
    values = params if params is not None else init_params(cfg)
    leaves = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in values.items()}
    x = torch.tensor([cfg.x1, cfg.x2], dtype=torch.float64)  # (2,)
    torch_loss(cfg, leaves, x).backward()
    return {n: t.grad.item() for n, t in leaves.items()}


def finite_difference_gradients(cfg: TinyNetConfig, params: dict[str, float] | None = None,
                                eps: float = 1e-6) -> dict[str, float]:
    """Central differences (L(θ + ε) − L(θ − ε)) / 2ε, one parameter at a time, float64.

    The error is O(ε²) from the truncated Taylor series plus about 1e-16/ε from rounding: ε = 1e-6
    balances them (≈1e-10). It needs two forward passes per parameter — backprop needs one
    backward pass for all of them. At a ReLU kink it averages both sides and disagrees."""
    values = params if params is not None else init_params(cfg)
    out = {}
    for name in values:
        up, down = dict(values), dict(values)
        up[name] += eps
        down[name] -= eps
        out[name] = (loss_value(cfg, up) - loss_value(cfg, down)) / (2 * eps)
    return out


@dataclass(frozen=True)
class GradientRow:
    """One parameter's gradient computed three ways."""

    name: str
    value: float
    chain_rule: float
    autograd: float
    finite_difference: float


def gradients_three_ways(cfg: TinyNetConfig) -> list[GradientRow]:
    """Hand chain rule, PyTorch autograd and finite differences side by side, per parameter."""
    params = init_params(cfg)
    hand, auto = hand_gradients(cfg, params), autograd_gradients(cfg, params)
    fd = finite_difference_gradients(cfg, params)
    return [GradientRow(n, params[n], hand[n], auto[n], fd[n]) for n in params]


def autograd_graph(cfg: TinyNetConfig) -> list[tuple[int, str]]:
    """The ``grad_fn`` chain autograd records for the same network, as (depth, label) rows:
    walks ``loss.grad_fn.next_functions`` depth first; a leaf shows as AccumulateGrad (name)."""
    params = init_params(cfg)
    leaves = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in params.items()}
    names = {id(t): n for n, t in leaves.items()}
    loss = torch_loss(cfg, leaves, torch.tensor([cfg.x1, cfg.x2], dtype=torch.float64))
    rows: list[tuple[int, str]] = []

    def walk(fn, depth: int) -> None:
        label = type(fn).__name__
        if hasattr(fn, "variable"):
            label += f" ({names.get(id(fn.variable), 'tensor')})"
        rows.append((depth, label))
        for child, _ in fn.next_functions:
            if child is not None:
                walk(child, depth + 1)

    walk(loss.grad_fn, 0)
    return rows


# ----------------------------------------------------------------------------- walk-through
def _raw(v: float) -> str:
    return f"{v:.3g}".replace("-", "−")


def _num(v: float) -> str:
    """A number for a product: 3 significant digits, negatives in parentheses."""
    return f"({_raw(v)})" if v < 0 else _raw(v)


@dataclass(frozen=True)
class Visit:
    """One step of the walk-through: the node, the pass, and the equation with its numbers."""

    phase: str  # "start", "forward" or "backward"
    node: str  # the node's name ("" at the start)
    equation: str  # e.g. "∂L/∂w₁₁ = ∂L/∂z₁ · ∂z₁/∂w₁₁ = 0.42 × 1 = 0.42"
    chain: str = ""  # the whole path from L, for a node with one path: "∂L/∂o · ∂o/∂h₁ · … = …"
    local: str = ""  # the local derivatives used, as formulas: "∂z₁/∂w₁₁ = x₁"


@dataclass
class Walkthrough:
    """The graph of one example after forward and backward, and the order the lesson visits it."""

    forward: Forward
    visits: list[Visit] = field(default_factory=list)


def _forward_equation(n: Value) -> str:
    if n.kind == "sum":
        terms = []
        for i in range(0, len(n.parents) - 1, 2):
            w, x = n.parents[i], n.parents[i + 1]
            terms.append(f"{_num(w.data)} × {_num(x.data)}")
        numbers = " + ".join(terms) + f" + {_num(n.parents[-1].data)}"
        return f"{n.name} = {n.formula} = {numbers} = {_raw(n.data)}"
    if n.kind == "activation":
        return f"{n.name} = {n.formula} = {n.op}({_raw(n.parents[0].data)}) = {_raw(n.data)}"
    if n.op == "MSE":
        o, y = n.parents[0].data, n.parents[0].data - n.local[0] / 2
        return f"L = {n.formula} = ({_raw(o)} − {_raw(y)})² = {_raw(n.data)}"
    o = n.parents[0].data
    y = sigmoid(o) - n.local[0]
    return f"L = {n.formula} = {_raw(n.data)}   (σ(o) = {_raw(sigmoid(o))}, y = {_raw(y)})"


def _backward_equation(n: Value, consumers: list[tuple[Value, int]]) -> str:
    if not consumers:
        return f"∂L/∂{n.name} = 1   (the start of the backward pass)"
    symbolic = " + ".join(f"∂L/∂{c.name} · ∂{c.name}/∂{n.name}" for c, _ in consumers)
    numbers = " + ".join(f"{_num(c.grad)} × {_num(c.local[i])}" for c, i in consumers)
    return f"∂L/∂{n.name} = {symbolic} = {numbers} = {_raw(n.grad)}"


def _local_formulas(consumers: list[tuple[Value, int]], n: Value) -> str:
    return ", ".join(f"∂{c.name}/∂{n.name} = {c.local_formula[i]}" for c, i in consumers)


def _chain(n: Value, consumers: dict[int, list[tuple[Value, int]]]) -> str:
    """The whole chain from L down to ``n`` when there is exactly one path of three or more
    factors, else '' (with fewer, the one-step equation already is the whole chain)."""
    path, node = [], n
    while consumers[id(node)]:
        if len(consumers[id(node)]) != 1:
            return ""
        parent_of, i = consumers[id(node)][0]
        path.append((parent_of, node, parent_of.local[i]))
        node = parent_of
    if len(path) < 3:
        return ""
    path.reverse()
    symbolic = " · ".join(f"∂{a.name}/∂{b.name}" for a, b, _ in path)
    numbers = " × ".join(_num(d) for _, _, d in path)
    return f"∂L/∂{n.name} = {symbolic} = {numbers} = {_raw(n.grad)}"


def walkthrough(cfg: TinyNetConfig) -> Walkthrough:
    """Forward then backward, one node at a time: the order a teacher would go through it.

    Forward visits the operations in topological order (inputs and parameters are given).
    Backward starts at L and visits a node only after every node that uses it, ordered by the
    length of the longest path from L, so ∂L/∂(node) is complete when it is shown."""
    f = forward(cfg)
    order = backward(f.loss)
    consumers: dict[int, list[tuple[Value, int]]] = {id(n): [] for n in order}
    for n in order:
        for i, p in enumerate(n.parents):
            consumers[id(p)].append((n, i))
    depth = {id(f.loss): 0}
    for n in reversed(order):  # longest path from L: parents come after their consumers here
        for p in n.parents:
            depth[id(p)] = max(depth.get(id(p), 0), depth[id(n)] + 1)
    rank = {"param": 0, "sum": 1, "activation": 1, "loss": 1, "input": 2}
    back = sorted(order, key=lambda n: (depth[id(n)], rank[n.kind], order.index(n)))
    visits = [Visit("start", "", "The inputs x and the parameters (w, b, v, c) are given; nothing else is known yet.")]
    visits += [Visit("forward", n.name, _forward_equation(n)) for n in order if n.parents]
    visits += [Visit("backward", n.name, _backward_equation(n, consumers[id(n)]), _chain(n, consumers),
                     _local_formulas(consumers[id(n)], n)) for n in back]
    return Walkthrough(f, visits)


# ---------------------------------------------------------------------------------- training
ARRAY_ACTIVATIONS = {"sigmoid": lambda z: 0.5 * (1.0 + np.tanh(z / 2)), "tanh": np.tanh,  # σ(z) = ½(1 + tanh(z/2))
                     "relu": lambda z: np.maximum(z, 0.0)}
TRAIN_DATA = DataConfig(name="xor", n_samples=40, noise=0.1, val_fraction=0.25)


def two_classes_only(data: UploadedData) -> UploadedData:
    """``data``, if its labels name exactly two classes: the tiny network has one output (o, or
    σ(o)), a score for class 1 against class 0. Else a ``ValueError`` with a sentence."""
    if data.n_classes != 2:
        labels = ", ".join(f"{c:g}" for c in data.classes)
        raise ValueError(f"its labels name {data.n_classes} classes ({labels}); the tiny network has one output, "
                         "so it separates exactly two classes: keep the examples of two of them")
    return data


def parse_two_classes(raw: bytes | str, form: str = "2d", filename: str = "") -> UploadedData:
    """``dlcore.upload.parse_csv`` for the tiny network: points of the plane (x1,x2,label) of
    exactly two classes. Every problem is a ``ValueError`` with a sentence."""
    check(form == "2d", f"the tiny network takes points of the plane (x1,x2,label); got the {form!r} form")
    return two_classes_only(parse_csv(raw, form, filename))


@dataclass(frozen=True)
class TrainingPoints:
    """What the tiny network trains on: the noisy XOR points, or a learner's file."""

    data: DataConfig = TRAIN_DATA  # the built-in set, and the split (validation share, seed) of an upload
    upload: UploadedData | None = None  # a 2-D file of two classes (dlcore.upload); None: the built-in set

    def __post_init__(self) -> None:
        if self.upload is not None:
            check(self.upload.form == "2d" and self.upload.n_features == 2,
                  "the tiny network takes points of the plane (x1,x2,label)")
            two_classes_only(self.upload)

    @property
    def name(self) -> str:
        return "its XOR points" if self.upload is None else "the points of an uploaded file"

    def dataset(self) -> data_mod.Dataset:
        """The built-in set, or the upload split as ``data`` asks and standardised as the built-in
        sets are (``UploadedData.to_dataset``: its training points span [-1, 1] on each axis)."""
        return data_mod.load(self.data) if self.upload is None else self.upload.to_dataset(self.data)


class ScalarTrainer(Stepwise):
    """Gradient descent on the tiny network with the scalar engine: θ ← θ − η·∂L/∂θ, where L
    is the mean loss over a mini-batch of the training points (XOR, or a learner's two-class
    file: ``points``; the whole training set when ``batch_size`` ≥ its size). Same step-wise
    interface as ``dlcore.Trainer`` (``advance``, ``done``, ``status``, ``message``), so ``ui.live``
    can stream it; every step is recorded.

    A run that blows up (NaN/Inf, or a loss 100× its starting value) stops with
    ``status == "diverged"`` and a message, never an exception."""

    def __init__(self, net: TinyNetConfig, train: TrainConfig, points: TrainingPoints = TrainingPoints()):
        check(train.optimizer == "sgd", f"the tiny network trains with plain gradient descent (sgd); "
                                         f"got {train.optimizer!r}")
        self.net_cfg, self.train_cfg, self.points, self.data_cfg = net, train, points, points.data
        self.dataset = ds = points.dataset()
        self.x = ds.x_train.double().tolist()  # (n, 2)
        self.y = ds.y_train.double().tolist()  # (n,) labels 0/1 as targets
        self.names = param_names(net.hidden)
        self.params = init_params(net)
        self.batches = BatchOrder(len(self.y), train.batch_size, train.seed)
        self.step, self.status, self.message = 0, "ready", ""
        self.losses: list[float] = []  # loss of each step's batch, before its update
        self.grads: list[list[float]] = []  # (steps, n_params) ∂L/∂θ of each step
        self.values: list[list[float]] = []  # (steps + 1, n_params) θ before each step, and at the end
        self.values.append([self.params[n] for n in self.names])

    def _shared_parts(self) -> tuple:
        """What a snapshot shares instead of copying (``ui.results``): the training points, which
        no step changes. The rest is floats and lists of floats, copied; the run has no network
        mode nor tensor needing grad, so the read-only hooks have nothing to switch."""
        return (self.points, self.dataset, self.x, self.y, self.names)

    def batch_loss(self, idx: list[int]) -> tuple[Value, dict[str, Value]]:
        """The graph of the mean loss over the examples ``idx``; the parameters are shared nodes."""
        p = _param_values(self.params, self.net_cfg.hidden)
        losses = [_build_example(p, *self.x[i], self.y[i], self.net_cfg, xs_named=False)[0] for i in idx]
        return mean(losses), p

    def train_step(self) -> float:
        self.status = "running"
        loss, p = self.batch_loss(self.batches.next().tolist())
        backward(loss)
        grads = [p[n].grad for n in self.names]
        for n, g in zip(self.names, grads):
            self.params[n] -= self.train_cfg.lr * g
        self.step += 1
        self.losses.append(loss.data)
        self.grads.append(grads)
        self.values.append([self.params[n] for n in self.names])
        first = self.losses[0]
        if not math.isfinite(loss.data) or not all(map(math.isfinite, self.values[-1])):
            self._diverge("a loss or a weight became NaN or infinite")
        elif loss.data > DIVERGENCE_FACTOR * max(first, 0.1):
            self._diverge(f"the loss grew from {first:.3g} to {loss.data:.3g}")
        elif self.step >= self.train_cfg.steps:
            self.status = "finished"
        return loss.data

    def has_script(self) -> bool:
        return True

    def script(self, title: str = "An experiment") -> str:
        """The same training with PyTorch's autograd in float64 (``SCALAR_SCRIPT``): the scalar
        engine's gradients checked by another one, step by step."""
        ascii_names = [f"{n[0]}{n[1:].translate(SUBSCRIPTS_BACK)}" for n in self.names]
        net, train = self.net_cfg, self.train_cfg
        return SCALAR_SCRIPT.format(
            title="".join(ch for ch in title if ch.isprintable() and ch not in "{}\\\"'"), names=ascii_names,
            data=self.points.name, x=self.x, y=self.y, lr=train.lr, steps=train.steps, batch_size=train.batch_size,
            seed=train.seed,
            net_seed=net.seed, hidden=net.hidden, activation=net.activation, loss=net.loss,
            activation_code=ACTIVATION_CODE[net.activation])

    def rows(self) -> list[dict]:
        """Every step: the loss of its batch, then each parameter's gradient and its value after the update."""
        return [{"step": i + 1, "loss": loss, **{f"dL/d{n}": g for n, g in zip(self.names, grads)},
                 **dict(zip(self.names, values))}
                for i, (loss, grads, values) in enumerate(zip(self.losses, self.grads, self.values[1:]))]

    def train_accuracy(self) -> float:
        """Share of training points classified right: o > 0 (MSE: o > ½) means class 1.

        The same forward pass as the scalar engine's, written with arrays (float64): it measures,
        it teaches nothing, and an uploaded file may hold thousands of points."""
        threshold = 0.5 if self.net_cfg.loss == "mse" else 0.0
        x, y, p = np.array(self.x).reshape(-1, 2), np.array(self.y), self.params  # (n, 2), (n,)
        o = np.full(len(y), p["c"])  # (n,)
        for j in range(1, self.net_cfg.hidden + 1):
            z = p[f"w{sub(j)}{sub(1)}"] * x[:, 0] + p[f"w{sub(j)}{sub(2)}"] * x[:, 1] + p[f"b{sub(j)}"]  # (n,)
            o = o + p[f"v{sub(j)}"] * ARRAY_ACTIVATIONS[self.net_cfg.activation](z)
        return float(np.mean((o > threshold) == (y == 1.0)))

    def series(self) -> dict[str, np.ndarray]:
        """steps 1…n (n,), loss (n,), grads (n, n_params) of each step; value_steps 0…n (n + 1,)
        and values (n + 1, n_params): the parameters before step 1 and after every step."""
        return {
            "steps": np.arange(1, len(self.losses) + 1),
            "value_steps": np.arange(len(self.values)),
            "loss": np.array(self.losses, dtype=np.float64),
            "grads": np.array(self.grads, dtype=np.float64).reshape(-1, len(self.names)),
            "values": np.array(self.values, dtype=np.float64),
        }


SCALAR_SCRIPT = '''"""{title}

Exported from DL Fundamentals Lab: the tiny network of the Backpropagation page ({hidden} hidden
{activation} units, {loss} loss) trained by plain gradient descent on {data} — here with
PyTorch's autograd in float64, where the page uses its own scalar engine (the chain rule node by
node). Same initial parameters, same mini-batches: the same losses, to float64 rounding.
"""

import torch
import torch.nn.functional as F

torch.set_num_threads(1)

NAMES = {names!r}  # w_ji (hidden unit j, input i), b_j, then the output layer's v_j and c
X = torch.tensor({x!r}, dtype=torch.float64)  # (n, 2) the training points, as the app trained on them
Y = torch.tensor({y!r}, dtype=torch.float64)  # (n,) their classes, 0 or 1, as targets
LR, STEPS, BATCH_SIZE, SEED = {lr!r}, {steps!r}, {batch_size!r}, {seed!r}


def loss_of(theta, x, y):
    """The mean {loss} loss of the points x (batch, 2) with targets y (batch,)."""
    p = dict(zip(NAMES, theta))
    o = p["c"]
    for j in range(1, {hidden} + 1):
        z = p[f"w{{j}}1"] * x[:, 0] + p[f"w{{j}}2"] * x[:, 1] + p[f"b{{j}}"]  # (batch,)
        o = o + p[f"v{{j}}"] * {activation_code}
    if "{loss}" == "mse":
        return ((o - y) ** 2).mean()
    return (y * F.softplus(-o) + (1 - y) * F.softplus(o)).mean()  # BCE on sigma(o), from the logit


def train():
    # Every parameter drawn from N(0, 1) by a generator seeded with the network's seed.
    theta = torch.randn(len(NAMES), generator=torch.Generator().manual_seed({net_seed!r}), dtype=torch.float64)
    theta.requires_grad_(True)
    # Mini-batches: a fresh seeded permutation each time one runs out, as the app draws them.
    g, n = torch.Generator().manual_seed(SEED), len(Y)
    size = min(BATCH_SIZE, n)
    perm, pos = torch.randperm(n, generator=g), 0
    losses = []
    for step in range(1, STEPS + 1):
        if pos + size > n:
            perm, pos = torch.randperm(n, generator=g), 0
        idx = perm[pos : pos + size]
        pos += size
        loss = loss_of(theta, X[idx], Y[idx])
        (grad,) = torch.autograd.grad(loss, theta)
        with torch.no_grad():
            theta -= LR * grad  # theta <- theta - eta * dL/dtheta
        losses.append(loss.item())
        print(f"step {{step:5d}}  loss {{losses[-1]:.12f}}")
    print("final parameters:", dict(zip(NAMES, theta.tolist())))
    return losses


if __name__ == "__main__":
    train()
'''
ACTIVATION_CODE = {"tanh": "torch.tanh(z)", "sigmoid": "torch.sigmoid(z)", "relu": "torch.relu(z)"}


BACKPROP_NET = TinyNetConfig()
BACKPROP_TRAIN = TrainConfig(optimizer="sgd", lr=0.3, steps=400, batch_size=32, record_every=1)


def default_experiment(
    device=None, net: TinyNetConfig = BACKPROP_NET, train: TrainConfig = BACKPROP_TRAIN
) -> ScalarTrainer:
    """Everything the page computes with its defaults: walk-through, three-way check, training.
    The tiny network trains on the CPU with the scalar engine, whatever the device."""
    walkthrough(net)
    gradients_three_ways(net)
    autograd_graph(net)
    return ScalarTrainer(net, train).run()
