"""The "Use your own data" group: a CSV upload, checked by ``dlcore.upload``, kept in this session only.

    own = upload.own_data(c.page, sample="spiral", forms=("2d", "tabular"))   # UploadedData or None
    run = comparison.start(c, lambda: Comparison.over(..., upload=own))

The file and what was read from it live in ``st.session_state`` under ``<prefix>.upload.*``:
Streamlit's uploader belongs to one session and nothing here is cached for the server, so one
session's upload never reaches another's. (A finished run is shared by config hash, which holds
the upload's content digest: only a session that uploads the very same data can meet its run.)
A file that can't be used is a sentence on the page, never a traceback. The page's link does not
carry the file: whoever opens it sees the built-in data set.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import streamlit as st

from dlcore.upload import MAX_CLASSES, MAX_FEATURES, MAX_ROWS, UploadedData, parse_csv, sample_csv

_LOG = logging.getLogger(__name__)
FORM_LABELS = {"2d": "x1,x2,label: points of the plane", "tabular": "f1,…,fn,label: a table of features"}
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")


def _plain(text: str) -> str:
    """Text from a file (its name, a cell in a message) shown literally in markdown."""
    return _MARKDOWN.sub(r"\\\1", text)


@lru_cache(maxsize=32)
def _sample(name: str, seed: int) -> str:
    return sample_csv(name, 300, seed)


def _read(file, form: str, parse: Callable[..., UploadedData]) -> UploadedData | str:
    """The parsed upload, or the sentence that says why it can't be used."""
    try:
        return parse(file.getvalue(), form, file.name)
    except ValueError as err:
        return str(err)
    except Exception:  # noqa: BLE001 - the engine raises only ValueError; anything else is a bug, not a traceback
        _LOG.exception("reading an upload failed")
        return "it could not be read; check that it is a CSV text file with one example per line"


def own_data(prefix: str, sample: str = "spiral", forms: Sequence[str] = ("2d",), seed: int = 0,
             parse: Callable[..., UploadedData] = parse_csv) -> UploadedData | None:
    """The "Use your own data" group: a file uploader, a sample CSV to download, and the verdict.

    Args:
        prefix: the page's widget prefix (keys ``<prefix>.upload.file``, ``.form``, ``.sample``).
        sample: the built-in toy set offered as a sample of the 2-D form (the tabular sample is
            the 8×8 digits).
        forms: the forms this page accepts: "2d" (x1,x2,label) and/or "tabular" (f1,…,fn,label).
        seed: the sample's seed.
        parse: reads the bytes (``dlcore.upload.parse_csv``; tests may hand in their own).

    Returns this session's uploaded data, or None (no file, or a file that can't be used).
    """
    key = f"{prefix}.upload"
    # The same arguments on every run: the expander keeps the open/closed state the student gave it.
    with st.expander("📂 Use your own data (a CSV file)"):
        form = forms[0]
        if len(forms) > 1:
            form = st.radio("Form of the file", list(forms), format_func=FORM_LABELS.get, key=f"{key}.form",
                            horizontal=True)
        st.caption(f"One example per line, the class label last (whole numbers, at most {MAX_CLASSES} classes); a "
                   f"header line is optional. Up to 1 MiB and {MAX_ROWS:,} lines"
                   + (f", up to {MAX_FEATURES} features" if form == "tabular" else "")
                   + ". The features are standardised with the training points' statistics, as the built-in sets are.")
        cols = st.columns([3, 1], vertical_alignment="center")
        file = cols[0].file_uploader("Your CSV file", type=["csv", "txt"], key=f"{key}.file", max_upload_size=1)
        name = sample if form == "2d" else "digits"
        cols[1].download_button("⬇ Sample CSV", _sample(name, seed), file_name=f"{name}-sample.csv", mime="text/csv",
                                key=f"{key}.sample", on_click="ignore", width="stretch")
        if file is None:
            st.session_state.pop(f"{key}.read", None)
            return None
        token, kept = (file.file_id, form), st.session_state.get(f"{key}.read")
        if kept is None or kept[0] != token:
            kept = (token, _read(file, form, parse))
            st.session_state[f"{key}.read"] = kept
        data = kept[1]
        if isinstance(data, str):
            st.error(f"This file can't be used: {_plain(data)}.")
            return None
        labels = ", ".join(f"{c:g}" for c in data.classes)
        st.success(f"Training on **{_plain(file.name)}**: {data.n_points:,} examples, {data.n_features} features, "
                   f"{data.n_classes} classes (labels {_plain(labels)}). The page's link does not carry your file.")
        return data
