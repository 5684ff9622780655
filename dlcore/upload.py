"""Your own data: a CSV file checked line by line, standardised like the built-in sets, and hashed.

Two forms of file are read, one example per line, the class label last:

    x1,x2,label          the 2-D form: points of the plane, like the toy sets
    f1,f2,...,fn,label   the tabular form: n numeric features (1 ≤ n ≤ 100)

A first line that is not all numbers is a header (its names are used in messages); commas
separate the values (a file whose first line has none but has ``;`` or tabs is read with those).
Labels are whole numbers naming at most 10 classes; they become class ids 0, 1, … in increasing
order (so ``-1, 1`` and ``1, 2`` work as well as ``0, 1``).

Every problem is a ``ValueError`` with a sentence a student understands — the line and column of
a bad cell included — never another exception: empty or oversized files, UTF-16 or binary files,
wrong column counts, non-numeric or non-finite cells, fractional labels, too few points, too many
classes. ``parse_csv`` returns an :class:`UploadedData`, an immutable value that hashes, compares
and prints by a SHA-256 digest of its normalised content, so it can sit in a frozen config (a
``Comparison``) and join ``stable_hash`` without its arrays ever being written out.

Standardisation uses the training points only (like the digits' centring in ``dlcore.data``):

- 2-D form: each axis is shifted and scaled so the training points span [-1, 1], inside the
  square ``boundary.EXTENT`` = (-1.5, 1.5) where the toy sets live and decision boundaries are drawn.
- tabular form: each feature gets zero mean and unit variance (a constant feature is only centred).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re

import numpy as np
import torch

from . import data as data_mod
from .boundary import EXTENT
from .config import DataConfig

FORMS = ("2d", "tabular")
MAX_BYTES = 1024 * 1024  # 1 MiB: about 20,000 lines of three numbers
MAX_ROWS = 20_000  # the engine's cap on training examples (see dlcore.caps)
MAX_FEATURES = 100  # tabular form
MAX_CLASSES = 10
MIN_POINTS = 20  # enough to hold some out for validation
MIN_PER_CLASS = 5
MAX_ABS = 1e12  # larger values would overflow float32 statistics; such a column must be rescaled
HALF_WIDTH = 1.0  # 2-D: training points span [-HALF_WIDTH, HALF_WIDTH] on each axis
CLIP = 1e6  # a validation value this many training ranges out is clipped (inputs stay finite)
assert HALF_WIDTH < EXTENT[1], "uploaded points must fit the plotted square"

_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _shown(cell: str, limit: int = 24) -> str:
    """A cell as it may appear in a message: printable, short, quoted."""
    text = "".join(ch if ch.isprintable() else "?" for ch in cell.strip())
    return "'" + (text if len(text) <= limit else text[:limit] + "…") + "'"


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 100 * 1024 else f"{n / 1024:.0f} KiB"


class UploadedData:
    """A validated upload: examples, class ids, and a digest of both. Immutable.

    Args:
        form: "2d" (x1,x2,label) or "tabular" (f1..fn,label).
        x: features as the file gave them, (n, n_features) float64.
        y: class ids 0..k-1, (n,) int64.
        classes: the file's label of each class id (``classes[i]`` became ``i``).
        columns: the column names (the header's, else x1, x2, label / f1, …, label).
        filename: where it came from (shown on the page; not part of the digest).

    Equality, ``hash``, ``str`` and ``copy.deepcopy`` go by ``digest``, the SHA-256 of the
    normalised content (form, shape, values, class ids): the same data written differently
    (a header or not, ``1`` or ``1.000``, CRLF, other labels for the same classes) hashes the same.
    """

    __slots__ = ("form", "x", "y", "classes", "columns", "filename", "digest")

    def __init__(self, form: str, x: np.ndarray, y: np.ndarray, classes: tuple[float, ...],
                 columns: tuple[str, ...], filename: str = ""):
        if form not in FORMS:
            raise ValueError(f"the form of a file must be one of {', '.join(FORMS)}; got {form!r}")
        x = np.array(x, dtype=np.float64, order="C")  # (n, n_features), a private copy
        y = np.array(y, dtype=np.int64)  # (n,)
        if x.ndim != 2 or y.shape != (len(x),) or (len(y) and not 0 <= y.min() <= y.max() < len(classes)):
            raise ValueError(f"an upload needs features (n, n_features) and class ids 0..{len(classes) - 1} (n,); "
                             f"got shapes {x.shape} and {y.shape}")
        x.flags.writeable = y.flags.writeable = False
        digest = hashlib.sha256(f"dllab-upload-1|{form}|{x.shape}|".encode())
        digest.update(x.astype("<f8").tobytes())
        digest.update(y.astype("<i8").tobytes())
        for name, value in [("form", form), ("x", x), ("y", y), ("classes", tuple(classes)),
                            ("columns", tuple(columns)), ("filename", filename), ("digest", digest.hexdigest())]:
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("UploadedData is immutable")

    def __eq__(self, other) -> bool:
        return isinstance(other, UploadedData) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:  # what stable_hash writes: the digest, never the arrays
        return f"UploadedData(form={self.form!r}, points={self.n_points}, sha256={self.digest})"

    def __copy__(self) -> UploadedData:
        return self

    def __deepcopy__(self, memo) -> UploadedData:  # dataclasses.asdict deep-copies field values
        return self

    def __reduce__(self):
        return UploadedData, (self.form, self.x, self.y, self.classes, self.columns, self.filename)

    @property
    def n_points(self) -> int:
        return len(self.y)

    @property
    def n_features(self) -> int:
        return self.x.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def dataset(self, val_fraction: float = 0.3, seed: int = 0) -> data_mod.Dataset:
        """Shuffle with ``seed`` (as ``dlcore.data.load`` does), hold out ``val_fraction``, and
        standardise with the training points' statistics (see the module docstring)."""
        order = np.random.default_rng(seed + 1).permutation(self.n_points)
        n_val = min(self.n_points - 1, max(1, int(round(val_fraction * self.n_points))))
        val, train = order[:n_val], order[n_val:]
        x = standardise(self.x, train, self.form).astype(np.float32)
        return data_mod.Dataset(
            x_train=torch.from_numpy(x[train]), y_train=torch.from_numpy(self.y[train].copy()),
            x_val=torch.from_numpy(x[val]), y_val=torch.from_numpy(self.y[val].copy()),
            n_features=self.n_features, n_classes=self.n_classes, name="your data",
        )

    def to_dataset(self, data: DataConfig) -> data_mod.Dataset:
        """The split a ``DataConfig`` asks for (its validation fraction and seed) of this data."""
        return self.dataset(data.val_fraction, data.seed)


def standardise(x: np.ndarray, train: np.ndarray, form: str) -> np.ndarray:
    """Scale every column with statistics of the rows ``train`` only.

    2-D: ``(x - centre) / half_range`` so the training points span [-1, 1] on each axis;
    tabular: ``(x - mean) / std``. A column constant over the training points is only shifted.
    """
    fit = x[train]  # (n_train, n_features)
    if form == "2d":
        low, high = fit.min(axis=0), fit.max(axis=0)
        centre, scale = (low + high) / 2, (high - low) / (2 * HALF_WIDTH)
    else:
        centre, scale = fit.mean(axis=0), fit.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return np.clip((x - centre) / scale, -CLIP, CLIP)  # (n, n_features)


# ---------------------------------------------------------------- reading a file
def _text(raw: bytes) -> str:
    """The file's bytes as text, or a sentence saying why they are not a UTF-8 CSV."""
    if len(raw) == 0:
        raise ValueError("the file is empty; it needs one line per example, such as 0.5,-1.2,1")
    if len(raw) > MAX_BYTES:
        raise ValueError(f"the file is {_mib(len(raw))}; files up to 1 MiB (about {MAX_ROWS:,} lines) "
                         "can be used here")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\x00" in raw[:200] and _looks_utf16(raw[:200])):
        raise ValueError("the file is saved as UTF-16 text; save it as CSV in UTF-8 (in Excel: "
                         "'CSV UTF-8 (comma delimited)') and upload it again")
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ValueError("this is a spreadsheet or zip file, not a CSV text file; export the sheet as "
                         "CSV (comma-separated values) and upload that")
    try:
        text = raw.decode("utf-8-sig")  # a UTF-8 byte-order mark (Excel writes one) is dropped
    except UnicodeDecodeError as err:
        raise ValueError(f"the file is not UTF-8 text (byte {err.start:,} is 0x{raw[err.start]:02x}); it looks "
                         "like a binary file or another text encoding; save it as CSV in UTF-8") from None
    bad = _CONTROL.search(text)
    if bad is not None:
        raise ValueError(f"the file holds a control character (code {ord(bad.group())}) that text files do not "
                         "contain; it looks like a binary file, not a CSV")
    if not text.strip():
        raise ValueError("the file holds only blank lines; it needs one line per example, such as 0.5,-1.2,1")
    return text


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 text of ASCII characters has a zero byte in every other position."""
    return head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4


def _delimiter(first_line: str) -> str:
    if "," in first_line:
        return ","
    return ";" if ";" in first_line else ("\t" if "\t" in first_line else ",")


def _number(cell: str, line: int, column: str) -> float:
    where = f"line {line:,}, column {column}"
    if not cell.strip():
        raise ValueError(f"{where} is empty; every cell needs a number")
    try:
        value = float(cell)
    except ValueError:
        hint = " (write decimals with a point: 1.5, not 1,5)" if _DECIMAL_COMMA.match(cell.strip()) else ""
        raise ValueError(f"{where} holds {_shown(cell)}, which is not a number{hint}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where} holds {_shown(cell)}; every value must be a finite number (no NaN or infinity)")
    if abs(value) > MAX_ABS:
        raise ValueError(f"{where} holds {_shown(cell)}; values must lie between -1e12 and 1e12, so rescale "
                         "that column (for example to thousands or millions)")
    return value


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _check_width(n_columns: int, form: str, line: int, first: list[str]) -> None:
    """The first line fixes the columns: 3 for the 2-D form, 2 to 101 for the tabular form."""
    plural = "s" if n_columns != 1 else ""
    spaces = n_columns == 1 and " " in first[0].strip()
    if form == "2d" and n_columns != 3:
        hint = " (separate the values with commas, not spaces)" if spaces else (
            " (for more features choose the tabular form, f1,…,fn,label)" if n_columns > 3 else "")
        raise ValueError(f"line {line:,} has {n_columns:,} column{plural}; the 2-D form needs 3 on every line: "
                         f"x1,x2,label{hint}")
    if form == "tabular" and not 2 <= n_columns <= MAX_FEATURES + 1:
        hint = " (separate the values with commas, not spaces)" if spaces else ""
        raise ValueError(f"line {line:,} has {n_columns:,} column{plural}; the tabular form needs 1 to "
                         f"{MAX_FEATURES} features and a label on every line: f1,…,fn,label{hint}")


def parse_csv(raw: bytes | str, form: str = "2d", filename: str = "") -> UploadedData:
    """Read and check a CSV upload (see the module docstring); every problem is a ``ValueError``
    whose message says what is wrong and where (line numbers count from 1, header included).

    Args:
        raw: the file's bytes (or its text).
        form: "2d" (x1,x2,label) or "tabular" (f1,…,fn,label).
        filename: kept for the page to show.
    """
    if form not in FORMS:
        raise ValueError(f"the form of a file must be one of {', '.join(FORMS)}; got {form!r}")
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise ValueError(f"an upload must be the file's bytes, got {type(raw).__name__}")
    text = _text(bytes(raw))
    first_line = next(line for line in text.splitlines() if line.strip())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    names: tuple[str, ...] = ()  # the columns' names: the header's, else x1, x2, label / f1, …, label
    rows: list[list[float]] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # a blank line
            line = reader.line_num
            if not names:  # the first line: a header, or the first example
                _check_width(len(cells), form, line, cells)
                names = ("x1", "x2", "label") if form == "2d" else (*(f"f{i}" for i in range(1, len(cells))), "label")
                if not all(_is_number(c) for c in cells):
                    names = tuple(_shown(c, 16)[1:-1] or name for c, name in zip(cells, names))
                    continue
            if len(cells) != len(names):
                raise ValueError(f"line {line:,} has {len(cells):,} values but the first line has {len(names)}; "
                                 "every line needs the same columns")
            if len(rows) >= MAX_ROWS:
                raise ValueError(f"the file has more than {MAX_ROWS:,} examples, the most one run may train on a "
                                 "shared server; keep a random sample of them")
            row = [_number(cell, line, f"{i} ({name})") for i, (cell, name) in enumerate(zip(cells, names), 1)]
            if not row[-1].is_integer():
                raise ValueError(f"line {line:,}, column {len(row)} ({names[-1]}) holds {_shown(cells[-1])}, which is "
                                 "not a whole number; the last column must hold class numbers such as 0, 1, 2")
            rows.append(row)
    except csv.Error as err:
        raise ValueError(f"line {reader.line_num:,} cannot be read as CSV ({err}); check its quotes") from None
    if not rows:
        raise ValueError("the file has a header line but no examples under it")
    table = np.array(rows, dtype=np.float64)  # (n, n_features + 1)
    return _labelled(table, form, names, filename)


def _labelled(table: np.ndarray, form: str, names: tuple[str, ...], filename: str) -> UploadedData:
    """Check the labels and the counts; class ids follow the labels' order."""
    x, labels = table[:, :-1], table[:, -1]  # labels: whole numbers, checked line by line
    classes, y = np.unique(labels, return_inverse=True)
    if len(classes) > MAX_CLASSES:
        raise ValueError(f"the labels name {len(classes):,} different classes; at most {MAX_CLASSES} can be used "
                         "here (the last column must hold class numbers, not measurements)")
    if len(classes) < 2:
        raise ValueError(f"every example has the label {classes[0]:g}; a classifier needs at least two classes")
    if len(y) < MIN_POINTS:
        raise ValueError(f"the file has {len(y)} example{'s' if len(y) != 1 else ''}; at least {MIN_POINTS} are "
                         "needed to train on some and validate on the others")
    counts = np.bincount(y, minlength=len(classes))
    if counts.min() < MIN_PER_CLASS:
        small = int(np.argmin(counts))
        raise ValueError(f"class {classes[small]:g} has only {counts[small]} example{'s' if counts[small] != 1 else ''}"
                         f"; every class needs at least {MIN_PER_CLASS}")
    return UploadedData(form, x, y, tuple(float(c) for c in classes), names, filename)


# ---------------------------------------------------------------- a sample to download
def sample_csv(name: str = "spiral", n: int = 200, seed: int = 0) -> str:
    """A built-in data set written as an upload would be: ``x1,x2,label`` for a toy set, or
    ``f1,…,f64,label`` for ``"digits"`` (pixel darkness 0–16, the first ``n`` of a shuffle)."""
    if name == "digits":
        x, y = data_mod.make_arrays(DataConfig(name="digits"))
        order = np.random.default_rng(seed).permutation(len(y))[: max(1, min(n, len(y)))]
        header = ",".join(f"f{i}" for i in range(1, 65)) + ",label"
        lines = [",".join(str(int(round(v * 16))) for v in x[i]) + f",{y[i]}" for i in order]
    else:
        x, y = data_mod.make_arrays(DataConfig(name=name, n_samples=n, seed=seed))
        header = "x1,x2,label"
        lines = [f"{a:.4f},{b:.4f},{label}" for (a, b), label in zip(x.tolist(), y.tolist())]
    return "\n".join([header, *lines]) + "\n"
