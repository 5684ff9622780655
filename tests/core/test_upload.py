"""Your own data (``dlcore.upload``): every validation rule as a sentence, the two forms read and
standardised like the built-in sets, a content hash that joins a comparison's config hash, and a
fuzz test of malformed files — each gets a ``ValueError`` sentence, none another exception.

The default run draws 200 generated files; ``python -m pytest -m fuzz
tests/core/test_upload.py`` draws thousands.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcore import DataConfig, ModelConfig, TrainConfig, stable_hash
from dlcore import data as data_mod
from dlcore.boundary import EXTENT
from dlcore.experiments import Comparison
from dlcore.upload import MAX_BYTES, MAX_ROWS, UploadedData, parse_csv, sample_csv

ROOT = Path(__file__).resolve().parents[2]

# Every message the reader writes opens like one of these (a sentence of ours, not Python's own
# "could not convert string to float"); the page shows it as "This file can't be used: <message>."
OURS = re.compile(r"^(the file |the labels |line \d|this is |every example |class |an upload |the form )")


def assert_sentence(err: BaseException) -> str:
    message = str(err)
    assert type(err) is ValueError, f"{type(err).__name__}: {message}"
    assert OURS.match(message), f"not one of our sentences: {message!r}"
    assert 20 < len(message) < 300 and "\n" not in message and "Traceback" not in message, message
    return message


def refused(raw: bytes | str, form: str = "2d") -> str:
    with pytest.raises(ValueError) as info:
        parse_csv(raw, form)
    return assert_sentence(info.value)


def rows(n: int, labels=(0, 1), features: int = 2, seed: int = 0) -> str:
    """``n`` lines of random features and labels cycling through ``labels``."""
    x = np.random.default_rng(seed).normal(size=(n, features))
    return "".join(",".join(f"{v:.6f}" for v in xi) + f",{labels[i % len(labels)]}\n" for i, xi in enumerate(x))


GOOD = rows(60)


# ---------------------------------------------------------------- every rule, one sentence each
RULES = [
    (b"", "2d", "the file is empty"),
    (b"\n  \n\r\n", "2d", "only blank lines"),
    (b"0,0,0\n" * 200_000, "2d", "the file is 1.1 MiB; files up to 1 MiB"),
    (b"0,0,0\n" * (MAX_ROWS + 1), "2d", f"more than {MAX_ROWS:,} examples"),
    (b"1\n2\n3\n", "2d", "line 1 has 1 column; the 2-D form needs 3"),
    (b"1 2 0\n", "2d", "separate the values with commas, not spaces"),
    (b"1,2,3,0\n", "2d", "line 1 has 4 columns; the 2-D form needs 3 on every line: x1,x2,label (for more features"),
    (b"1\n", "tabular", "line 1 has 1 column; the tabular form needs 1 to 100 features"),
    (("0," * 101 + "0\n").encode(), "tabular", "line 1 has 102 columns"),
    (b"x1,x2,label\n" + GOOD.encode() + b"1,2\n", "2d", "line 62 has 2 values but the first line has 3"),
    (b"a,b,c\n1,oops,0\n", "2d", "line 2, column 2 (b) holds 'oops', which is not a number"),
    (b"1,2,0\n1,,1\n", "2d", "line 2, column 2 (x2) is empty; every cell needs a number"),
    (b"1;2;0\n1,5;2;1\n", "2d", "holds '1,5', which is not a number (write decimals with a point"),
    (b"1,2,0\nnan,2,1\n", "2d", "line 2, column 1 (x1) holds 'nan'; every value must be a finite number"),
    (b"1,2,0\n1,-inf,1\n", "2d", "column 2 (x2) holds '-inf'; every value must be a finite number"),
    (b"1,2,0\n1,2,Infinity\n", "2d", "column 3 (label) holds 'Infinity'"),
    (b"1,1e300,0\n", "2d", "values must lie between -1e12 and 1e12"),
    (b"1,2,0\n1,2,0.5\n", "2d", "line 2, column 3 (label) holds '0.5', which is not a whole number"),
    (b"1,2,3\n", "2d", "every example has the label 3; a classifier needs at least two classes"),
    (rows(19), "2d", "the file has 19 examples; at least 20 are needed"),
    (rows(40, labels=(0,) * 37 + (1, 2, 2)), "2d", "class 1 has only 1 example; every class needs at least 5"),
    (rows(60, labels=tuple(range(11))), "2d", "the labels name 11 different classes; at most 10"),
    (b"x1,x2,label\n", "2d", "a header line but no examples"),
    ("x1,x2,label\n1,2,0\n".encode("utf-16"), "2d", "saved as UTF-16"),
    ("x1,x2,label\n1,2,0\n".encode("utf-16-le"), "2d", "saved as UTF-16"),  # no byte-order mark
    (b"PK\x03\x04\x14\x00\x06\x00", "2d", "a spreadsheet or zip file"),
    (b"1,2,0\n\xff\xfe\xfa,1,1\n", "2d", "not UTF-8 text (byte 6 is 0xff)"),
    (b"1,2,0\n1,2\x00,1\n", "2d", "a control character (code 0)"),
    (b'1,2,0\n"1,2,1\n' + b"3" * 200_000, "2d", "cannot be read as CSV"),
    (GOOD, "3d", "the form of a file must be one of 2d, tabular"),
]


@pytest.mark.parametrize("raw, form, says", RULES, ids=[says for _, _, says in RULES])
def test_every_problem_is_a_sentence_that_says_what_and_where(raw, form, says):
    if form == "3d":
        with pytest.raises(ValueError, match="the form of a file must be one of 2d, tabular"):
            parse_csv(raw, form)
        return
    assert says in refused(raw, form)


def test_limits_are_checked_before_the_work():
    """A file ten times the limit is refused by its size, without reading a line of it."""
    huge = b"0.1,0.2,0\n" * 10**6
    start = time.process_time()
    assert "files up to 1 MiB" in refused(huge)
    assert time.process_time() - start < 0.05
    assert len(b"0,0,0\n" * 174_762) <= MAX_BYTES  # under the byte limit: then the line limit speaks
    assert f"more than {MAX_ROWS:,} examples" in refused(b"0,0,0\n" * 174_762)


def test_a_cell_in_a_message_is_short_and_printable():
    message = refused(b"1,2,0\n1," + b"x" * 5000 + b"\xe2\x80\x8b,1\n")
    assert "'xxxxxxxxxxxxxxxxxxxxxxxx…'" in message and len(message) < 150


# ---------------------------------------------------------------- the happy paths
def test_a_toy_set_written_as_a_sample_reads_back_as_the_same_points_and_split():
    """The 2-D form: the sample of a built-in set reads back with its points and labels, is split
    with the same recipe as ``dlcore.data.load`` and scaled so the training points span [-1, 1]."""
    cfg = DataConfig(name="spiral", n_samples=300, seed=4)
    text = sample_csv("spiral", 300, seed=4)
    assert text.startswith("x1,x2,label\n") and text.count("\n") == 301
    up = parse_csv(text, filename="spiral.csv")
    x, y = data_mod.make_arrays(cfg)
    assert (up.form, up.n_points, up.n_features, up.n_classes, up.classes) == ("2d", 300, 2, 2, (0.0, 1.0))
    assert up.columns == ("x1", "x2", "label") and up.filename == "spiral.csv"
    np.testing.assert_allclose(up.x, x, atol=6e-5)  # written with 4 decimals
    np.testing.assert_array_equal(up.y, y)
    ds, toy = up.to_dataset(cfg), data_mod.load(cfg)
    assert torch.equal(ds.y_train, toy.y_train) and torch.equal(ds.y_val, toy.y_val)  # the same split
    assert (ds.n_features, ds.n_classes, ds.x_train.dtype) == (2, 2, torch.float32)
    assert ds.x_train.min(dim=0).values.tolist() == [-1.0, -1.0]
    assert ds.x_train.max(dim=0).values.tolist() == [1.0, 1.0]
    everything = torch.cat([ds.x_train, ds.x_val])
    assert everything.abs().max() < EXTENT[1]  # inside the square the boundaries are drawn on
    # An affine map of the toy set's own coordinates, one per axis:
    for axis in range(2):
        slope, intercept = np.polyfit(toy.x_train[:, axis].numpy(), ds.x_train[:, axis].numpy(), 1)
        fitted = slope * toy.x_val[:, axis].numpy() + intercept
        np.testing.assert_allclose(fitted, ds.x_val[:, axis].numpy(), atol=2e-4)


def test_points_far_from_the_square_are_scaled_into_it_with_the_training_points_only():
    x = np.random.default_rng(1).normal(loc=(5_000.0, -3.0), scale=(800.0, 0.01), size=(200, 2))
    text = "".join(f"{a:.17g},{b:.17g},{i % 3}\n" for i, (a, b) in enumerate(x))
    ds = parse_csv(text).dataset(val_fraction=0.25, seed=7)
    train = ds.x_train.numpy()
    np.testing.assert_allclose(train.min(axis=0), [-1, -1], atol=1e-6)
    np.testing.assert_allclose(train.max(axis=0), [1, 1], atol=1e-6)
    assert len(ds.y_val) == 50 and ds.n_classes == 3
    assert not np.allclose(ds.x_val.numpy().min(axis=0), -1)  # validation points don't set the scale


def test_the_tabular_form_gets_zero_mean_and_unit_variance_from_the_training_rows():
    text = sample_csv("digits", 400, seed=2)
    assert text.splitlines()[0] == ",".join(f"f{i}" for i in range(1, 65)) + ",label"
    up = parse_csv(text, "tabular")
    assert (up.n_points, up.n_features, up.n_classes) == (400, 64, 10)
    ds = up.dataset(0.3, seed=0)
    x = ds.x_train.numpy()
    varying = up.x[np.random.default_rng(1).permutation(400)[120:]].std(axis=0) > 0  # training rows of seed 0
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0)[varying], 1, atol=1e-4)
    np.testing.assert_array_equal(x.std(axis=0)[~varying], 0)  # a constant pixel is only centred
    assert abs(ds.x_val.numpy().mean()) > 1e-4  # validation rows use the training statistics


def test_the_same_data_written_differently_reads_the_same_and_hashes_the_same():
    plain = parse_csv(GOOD)
    lines = GOOD.splitlines()
    variants = [
        "x1,x2,label\n" + GOOD,  # a header
        "\ufeff" + GOOD,  # Excel's UTF-8 byte-order mark
        GOOD.replace("\n", "\r\n"),  # Windows line ends
        "\n".join(lines),  # no final newline
        "\n\n".join(lines) + "\n\n",  # blank lines
        GOOD.replace(",", ";"),  # semicolons
        GOOD.replace(",", "\t"),  # tabs
        "\n".join('"' + line.replace(",", '","') + '"' for line in lines),  # quoted cells
        "\n".join(" " + line.replace(",", " , ") + " " for line in lines),  # spaces around values
        GOOD.replace(",0\n", ",0.0\n"),  # labels written as 0.0
    ]
    for text in variants:
        up = parse_csv(text)
        assert up == plain and up.digest == plain.digest and hash(up) == hash(plain), text[:40]
    relabelled = parse_csv(GOOD.replace(",0\n", ",-1\n").replace(",1\n", ",7\n"))
    assert relabelled.classes == (-1.0, 7.0) and relabelled.digest == plain.digest  # classes 0 and 1 all the same
    np.testing.assert_array_equal(relabelled.y, plain.y)


def test_the_header_names_the_columns_in_messages():
    up = parse_csv("age,income,bought\n" + GOOD)
    assert up.columns == ("age", "income", "bought")
    assert "column 2 (income) holds 'n/a'" in refused("age,income,bought\n" + GOOD + "3,n/a,1\n")


def test_the_content_hash_is_a_sha256_of_the_data_and_the_same_in_another_process():
    up = parse_csv(GOOD)
    assert re.fullmatch(r"[0-9a-f]{64}", up.digest)
    code = f"from dlcore.upload import parse_csv; print(parse_csv({GOOD!r}).digest)"
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert other.stdout.strip() == up.digest
    assert parse_csv(GOOD, "tabular").digest != up.digest  # another form scales differently
    assert parse_csv(GOOD.replace("0.", "1.", 1)).digest != up.digest


def test_an_upload_is_an_immutable_value():
    up = parse_csv(GOOD)
    with pytest.raises(AttributeError):
        up.digest = "0" * 64
    with pytest.raises(ValueError):
        up.x[0, 0] = 1.0  # read-only arrays
    assert copy.deepcopy(up) is up and copy.copy(up) is up
    assert "sha256=" + up.digest in repr(up) and len(repr(up)) < 120
    import pickle

    assert pickle.loads(pickle.dumps(up)) == up


# ---------------------------------------------------------------- a comparison that trains on it
BASE = (DataConfig(name="spiral", n_samples=200, seed=3), ModelConfig(depth=1, width=8),
        TrainConfig(steps=20, batch_size=16, record_every=10))


def big_upload(change_middle: bool = False) -> UploadedData:
    """20,000 examples (about 0.4 MB of text); optionally one value changed in the middle."""
    x = np.random.default_rng(0).normal(size=(20_000, 2))
    if change_middle:
        x[10_000, 1] += 1.0
    return UploadedData("2d", x, np.arange(20_000) % 2, (0.0, 1.0), ("x1", "x2", "label"))


def test_a_comparison_trains_every_variant_on_the_uploaded_data():
    up = parse_csv(rows(90, labels=(0, 1, 2)))
    comp = Comparison.over(*BASE, "train.batch_size", (8, 32), upload=up)
    trainers = comp.trainers("cpu")
    expected = up.to_dataset(BASE[0])
    for t in trainers.values():
        assert torch.equal(t.dataset.x_train, expected.x_train) and torch.equal(t.dataset.y_val, expected.y_val)
        assert t.model(expected.x_val).shape == (27, 3)  # three classes: a three-way output layer
        t.run()
        assert t.status == "finished" and t.step == 20
    again = Comparison.over(*BASE, "train.batch_size", (8, 32), upload=parse_csv(rows(90, labels=(0, 1, 2))))
    assert [t.run().losses for t in again.trainers("cpu").values()] == [t.losses for t in trainers.values()]


def test_without_an_upload_a_comparison_loads_its_data_set_as_before():
    comp = Comparison(*BASE, (("a", ()),))
    assert comp.upload is None and comp == Comparison(*BASE, (("a", ()),), None)
    t = comp.trainers("cpu")["a"]
    assert torch.equal(t.dataset.x_train, data_mod.load(BASE[0]).x_train)


def test_the_upload_joins_the_config_hash_by_its_digest_never_its_arrays():
    """``stable_hash`` serialises a comparison with ``dataclasses.asdict`` and ``json.dumps(default=str)``:
    the upload enters as its digest. NumPy's ``str`` of a long array elides its middle, so two
    uploads that differ only there would collide if the arrays were written out."""
    a, b = big_upload(), big_upload(change_middle=True)
    assert str(a.x) == str(b.x)  # what a naive serialisation would see
    plain = Comparison.over(*BASE, "train.batch_size", (8,))
    with_a, with_b = (replace(plain, upload=u) for u in (a, b))
    hashes = {stable_hash(c) for c in (plain, with_a, with_b)}
    assert len(hashes) == 3
    assert stable_hash(with_a) == stable_hash(replace(plain, upload=big_upload()))  # same data, same hash
    start = time.process_time()
    text = json.dumps(asdict(with_a), default=str)
    assert len(text) < 2_000 and a.digest in text
    stable_hash(with_a)
    assert time.process_time() - start < 0.05
    assert hash(with_a) == hash(replace(plain, upload=big_upload()))  # a frozen dataclass stays hashable


# ---------------------------------------------------------------- fuzz: malformed files
NAMED_JUNK = {
    "empty": b"",
    "one column": b"1\n2\n3\n4\n",
    "text": b"The quick brown fox\njumps over the lazy dog.\n",
    "text in cells": b"a,b,c\nd,e,f\n",
    "NaN": b"x1,x2,label\n0.1,NaN,0\n0.2,0.3,1\n",
    "10^6 rows": b"0.1,0.2,0\n" * 10**6,
    "binary junk": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
    "a UTF-16 file": ("x1,x2,label\n" + GOOD).encode("utf-16"),
    "10,000 classes": "".join(f"{i * 0.001},{-i * 0.001},{i}\n" for i in range(10_000)).encode(),
}


@pytest.mark.parametrize("name", NAMED_JUNK)
def test_named_malformed_files_get_a_sentence(name):
    refused(NAMED_JUNK[name])
    refused(NAMED_JUNK[name], "tabular")


CELLS = st.one_of(
    st.integers(-5, 5).map(str), st.floats(-1e3, 1e3, allow_nan=False).map(repr),
    st.sampled_from(["", " ", "nan", "-inf", "1e999", "1e13", "0.5", "abc", '"', '"1"', "1,5", "\x00", "é", "\ufeff",
                     "1_0", "0x10", "١", "--1", "1e", "\u00a0"]),
    st.text(max_size=6),
)


@st.composite
def csv_like(draw) -> bytes:
    """Text shaped like a CSV: lines of cells, mostly valid numbers, with junk mixed in."""
    width = draw(st.sampled_from([3, 3, 3, 1, 2, 4, 5]))
    n = draw(st.sampled_from([30, 60, 0, 1, 19, 20, 21]))
    labels = draw(st.sampled_from([2, 3, 1, 10, 11, 100]))
    junk = draw(st.sampled_from([0, 0, 1, 10, 100]))  # junk cells per thousand
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", ", ", " "]))
    lines = []
    for i in range(n):
        cells = [f"{draw(st.floats(-9, 9)):.3f}" for _ in range(width - 1)] + [str(i % labels)]
        for j in range(width):
            if junk and draw(st.integers(0, 999)) < junk:
                cells[j] = draw(CELLS)
        if junk and draw(st.integers(0, 999)) < junk:
            cells = cells[: draw(st.integers(0, width))]  # a short line
        lines.append(delimiter.join(cells))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


def check_file(raw: bytes, form: str) -> None:
    try:
        up = parse_csv(raw, form)
    except ValueError as err:
        assert_sentence(err)
        return
    # A generated file may be valid: then it reads into finite, standardised data.
    ds = up.dataset(0.3, seed=0)
    assert 20 <= up.n_points <= MAX_ROWS and 2 <= up.n_classes <= 10
    assert torch.isfinite(ds.x_train).all() and torch.isfinite(ds.x_val).all()
    assert int(ds.y_train.max()) < up.n_classes


def fuzz_test(max_examples: int):
    @settings(max_examples=max_examples, deadline=None, derandomize=max_examples < 1000,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.one_of(st.binary(max_size=300), csv_like(), st.text(max_size=200).map(str.encode)),
           st.sampled_from(["2d", "tabular"]))
    def test(raw, form):
        check_file(raw, form)

    return test


test_generated_junk_gets_a_sentence_or_reads_cleanly = fuzz_test(200)
test_thousands_of_generated_files_get_a_sentence_or_read_cleanly = pytest.mark.fuzz(fuzz_test(5000))


@pytest.mark.parametrize("form", ["2d", "tabular"])
def test_extreme_but_valid_values_stay_finite(form):
    """Values at the limit, tiny ranges, a constant column, a validation point far outside the
    training range: the standardised inputs stay finite."""
    lines = [f"1e12,{i % 2}e-300,{i % 2}" for i in range(40)] + ["-1e12,1e-300,0", "0,1e12,1", "1e-300,5,1"]
    if form == "tabular":
        lines = [line.replace(",", ",7,", 1) for line in lines]  # and a constant column
    up = parse_csv("\n".join(lines), form)
    for seed in range(5):
        ds = up.dataset(0.3, seed)
        assert torch.isfinite(ds.x_train).all() and torch.isfinite(ds.x_val).all()
