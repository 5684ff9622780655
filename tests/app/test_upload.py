"""The "Use your own data" group on the Mini-batch training page: a bad file is a sentence on the page and
no traceback, a good one retrains the comparison on it; the upload stays in its own session and
out of the page's link. The widget group itself (``ui/upload.py``) is tested with its parser
handed in."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dlcore.upload import sample_csv
from tests.support.helpers import app_at, figure, trains_on_uploads, upload_csv, values

PAGE = "pages/minibatch.py"
TRAINS_ON_FILE = "These runs train on your file instead of the spiral set"
BAD = {
    "empty.csv": b"",
    "one-column.csv": b"1\n2\n3\n",
    "text.csv": b"The quick brown fox\njumps over the lazy dog\n",
    "nan.csv": b"x1,x2,label\n0.1,NaN,0\n",
    "utf16.csv": ("x1,x2,label\n" + "0.1,0.2,0\n" * 30).encode("utf-16"),
    "junk.csv": bytes(np.random.default_rng(0).integers(0, 256, 2048, dtype=np.uint8)),
    "classes.csv": "".join(f"{i},{-i},{i}\n" for i in range(10_000)).encode(),
    "huge.csv": b"0.1,0.2,0\n" * 10**6,
}


def small_page() -> AppTest:
    """The page with two short runs (B = 16 and full batch, 100 steps), on the toy set."""
    at = app_at(PAGE)
    at.multiselect(key="mb.sizes").set_value(["16", "full"])
    at.select_slider(key="mb.steps").set_value(100).run()
    assert not at.exception
    return at


def full_batch_size(at: AppTest) -> int:
    """Examples per step of the full-batch run: the size of the training set it trained on."""
    table = at.dataframe[0].value
    return int(table.loc[table["run"] == "full batch", "examples per step"].iloc[0])


def test_a_bad_file_is_a_sentence_and_the_page_keeps_training_the_toy_set():
    at = small_page()
    assert full_batch_size(at) == 420  # 600 spiral points, 30 % held out
    for name, content in BAD.items():
        upload_csv(at, "mb", name, content)
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and errors[0].startswith("This file can't be used: "), (name, errors)
        assert "Traceback" not in errors[0] and "Error" not in errors[0], errors[0]
        assert not [i for i in at.info if TRAINS_ON_FILE in i.value]
        assert full_batch_size(at) == 420, name
    assert "files up to 1 MiB" in errors[0]  # the last one, 10⁶ lines


def test_a_good_file_retrains_the_comparison_on_it_in_this_session_only():
    at = small_page()
    toy_curve = values(figure(at, "Loss: train")["data"][0]["y"])
    trains_on_uploads(at, "mb")  # a bad file, then two good ones: each its own run
    assert any(TRAINS_ON_FILE in i.value for i in at.info)
    assert full_batch_size(at) == 84  # 120 examples, 36 held out
    assert not np.array_equal(values(figure(at, "Loss: train")["data"][0]["y"]), toy_curve)
    assert "step 100 / 100" in at.get("progress")[0].proto.text

    other = small_page()  # another student, same link: the toy set, not this upload
    assert not other.success and full_batch_size(other) == 420
    assert "mb.upload.read" in at.session_state and "mb.upload.read" not in other.session_state

    at.file_uploader(key="mb.upload.file").clear().run()  # the file removed: back to the toy set
    assert not at.exception and full_batch_size(at) == 420
    assert not [i for i in at.info if TRAINS_ON_FILE in i.value]


def test_a_table_of_features_trains_too():
    at = small_page()
    at.radio(key="mb.upload.form").set_value("tabular").run()
    upload_csv(at, "mb", "digits.csv", sample_csv("digits", 200, seed=1))
    assert not at.error
    assert "200 examples, 64 features, 10 classes" in at.success[0].value
    assert full_batch_size(at) == 140
    labels = [b.proto.label for b in at.get("download_button")]
    assert "⬇ Sample CSV" in labels


# ---------------------------------------------------------------- the widget group alone
def own_data_page(parse):
    import streamlit as st

    from ui import upload

    data = upload.own_data("t", sample="moons", forms=("2d",), parse=parse)
    st.write("none" if data is None else f"got {data.n_points}")


def test_the_file_is_read_once_and_a_failure_of_the_reader_is_still_a_sentence():
    from dlcore.upload import parse_csv

    calls = []

    def counting(raw, form, name):
        calls.append(name)
        if name == "crash.csv":
            raise RuntimeError("a bug in the reader")
        return parse_csv(raw, form, name)

    at = AppTest.from_function(own_data_page, kwargs={"parse": counting}, default_timeout=30).run()
    assert not at.exception and at.markdown[-1].value == "none" and not at.error
    assert [b.proto.label for b in at.get("download_button")] == ["⬇ Sample CSV"]
    at.file_uploader(key="t.upload.file").set_value(("ok.csv", sample_csv("moons", 50).encode(), "text/csv")).run()
    at.run()
    at.run()  # reruns keep what was read: the file is parsed once
    assert at.markdown[-1].value == "got 50" and calls == ["ok.csv"]
    at.file_uploader(key="t.upload.file").set_value(("crash.csv", b"1,2,0\n", "text/csv")).run()
    assert not at.exception and at.markdown[-1].value == "none"
    assert at.error[0].value.startswith("This file can't be used: it could not be read")


def test_markdown_in_a_file_is_shown_literally():
    from dlcore.upload import parse_csv

    at = AppTest.from_function(own_data_page, kwargs={"parse": parse_csv}, default_timeout=30).run()
    at.file_uploader(key="t.upload.file").set_value(("x.csv", b"a,b,c\n1,**bold** [x](y),0\n", "text/csv")).run()
    assert not at.exception
    assert "holds '\\*\\*bold\\*\\* \\[x\\](y)'" in at.error[0].value


# ---------------------------------------------------------------- in Chromium, as a person would
@pytest.mark.browser
def test_uploading_in_the_browser(page, app_url, screenshot_dir, tmp_path):
    from playwright.sync_api import expect

    from tests.support.browser import idle, no_exception, open_page

    open_page(page, f"{app_url}/minibatch?sizes=16,full&steps=100")
    page.get_by_text("Use your own data (a CSV file)").click()
    chooser = page.get_by_test_id("stFileUploaderDropzoneInput")
    bad, good = tmp_path / "bad.csv", tmp_path / "moons.csv"
    bad.write_bytes("x1,x2,label\n1,2,0\n".encode("utf-16"))
    good.write_text(sample_csv("moons", 150, seed=2))
    chooser.set_input_files(str(bad))
    idle(page)
    expect(page.get_by_text("This file can't be used: the file is saved as UTF-16 text")).to_be_visible()
    chooser.set_input_files(str(good))  # a second file replaces the first
    idle(page)
    expect(page.get_by_text("150 examples, 2 features, 2 classes")).to_be_visible()
    expect(page.get_by_text(TRAINS_ON_FILE)).to_be_visible()
    expect(page.get_by_text("step 100 / 100")).to_be_visible()
    expect(page.get_by_text("Training on moons.csv")).to_be_visible()  # the group stayed open while it trained
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 3000})
    idle(page)
    page.screenshot(path=str(screenshot_dir / "minibatch_upload.png"), full_page=True)
