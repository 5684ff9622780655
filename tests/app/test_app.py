"""AppTest: the frame and every page of the catalog run with their defaults."""

import pytest

from dlcore.catalog import all_concepts
from tests.support.helpers import ROOT, app_at, figures

PAGES = [c.page for c in all_concepts()]


def test_home_lists_every_page_and_the_device():
    at = app_at()
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Training runs on: CPU" in text or "Training runs on: CUDA" in text
    assert "results cache: 0 finished runs" in text
    assert len(at.get("page_link")) == len(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_page_runs_with_defaults_and_draws_charts(path):
    at = app_at(path)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    figs = figures(at)
    assert len(figs) >= 3
    assert all(fig["data"] for fig in figs), "a chart has no data"
    labels = [b.proto.label for b in at.get("download_button")]  # under the finished run: take it home
    assert "⬇ PyTorch script" in labels and "⬇ recorded numbers (CSV)" in labels, labels


def test_the_home_page_counts_the_shared_results():
    at = app_at("pages/activations.py")  # a comparison page: its finished runs are shared
    at.switch_page("pages/home.py").run()
    text = " ".join(c.value for c in at.caption)
    assert "results cache: 1 finished runs" in text and " 0.0 MiB" not in text


def test_projector_mode_enlarges_chart_text():
    at = app_at(PAGES[0])
    normal = figures(at)[0]["layout"]["font"]["size"]
    at = app_at()
    at.toggle(key="projector_toggle").set_value(True).run()
    at.switch_page(PAGES[0]).run()
    assert not at.exception
    assert figures(at)[0]["layout"]["font"]["size"] > normal


def test_the_modules_plotly_only_looks_up_are_imported_whole_with_the_charts():
    """Plotly checks ``sys.modules`` for pandas and PIL without importing them: a chart built while
    another session's thread is half-way through importing pandas failed (CI, fresh server). Loading
    the chart builders must therefore finish those imports first, in a fresh interpreter."""
    import subprocess
    import sys

    code = ("import sys; import ui.charts; "
            "assert hasattr(sys.modules['pandas'], 'Series') and hasattr(sys.modules['PIL.Image'], 'Image')")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
