"""Security basics of a shared classroom server: no text from a link reaches the browser as HTML,
XSRF protection stays on, and a session writes nothing to disk."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from dlcore.catalog import all_concepts
from tests.support.helpers import ROOT, app_at

SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]


def raw_html_calls(path: Path) -> list[ast.Call]:
    """Calls that hand the browser raw HTML: ``st.html(...)`` and ``…(unsafe_allow_html=True)``."""
    calls = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        is_html = isinstance(node.func, ast.Attribute) and node.func.attr == "html"
        unsafe = any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and not k.value.value)
                     for k in node.keywords)
        if is_html or unsafe:
            calls.append(node)
    return calls


def escapes_every_value(call: ast.Call) -> bool:
    """Constant HTML, or every value formatted into it passed through ``html.escape``."""
    for node in ast.walk(call):
        if isinstance(node, ast.FormattedValue):
            value = node.value
            escaped = (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                       and value.func.attr == "escape")
            if not escaped:
                return False
    return True


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_raw_html_is_constant_or_escaped(path):
    for call in raw_html_calls(path):
        assert escapes_every_value(call), f"{path.name}:{call.lineno} puts an unescaped value into raw HTML"


def test_the_raw_html_check_would_catch_an_unescaped_value(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('import streamlit as st\nname = st.query_params.get("x")\nst.markdown(f"<b>{name}</b>", '
                   'unsafe_allow_html=True)\nst.html(f"<i>{name}</i>")\n', encoding="utf-8")
    assert [escapes_every_value(c) for c in raw_html_calls(bad)] == [False, False]


def test_xsrf_protection_stays_on():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config.get("server", {}).get("enableXsrfProtection", True) is True
    assert config.get("server", {}).get("enableCORS", True) is True


def files_under(root: Path) -> set[Path]:
    # What the test tools write, also from the other xdist worker while this test runs (hypothesis's
    # example database caught this test out once in CI): not the app's files.
    skip = {"__pycache__", ".git", "test-output", "test-results", ".pytest_cache", ".ruff_cache", ".hypothesis",
            ".benchmarks"}
    return {p for p in root.rglob("*") if not skip & set(p.relative_to(root).parts)}


def test_a_session_writes_nothing_to_disk():
    before = files_under(ROOT)
    for concept in all_concepts()[:3]:
        at = app_at(concept.page)
        assert not at.exception
    assert files_under(ROOT) == before
