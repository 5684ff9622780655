"""AppTest: the frame and every page of the catalog run with their defaults."""

import re

import pytest

from dlcore.catalog import all_concepts
from tests.support.helpers import ROOT, app_at, figures, unplottable

PAGES = [c.page for c in all_concepts()]


def cached_runs(at) -> int:
    """The number of finished runs the home page says the results cache holds."""
    text = " ".join(c.value for c in at.caption)
    match = re.search(r"results cache: (\d+) finished runs shared by everyone on this server, ([\d.]+) MiB", text)
    assert match, text
    return int(match[1])


def test_home_lists_every_page_and_the_device():
    from ui import live

    live.results().clear()
    at = app_at()
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Training runs on: CPU" in text or "Training runs on: CUDA" in text
    assert cached_runs(at) == 1  # home's own run, trained for this view and shared
    assert len(at.get("page_link")) == len(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_page_runs_with_defaults_and_draws_charts(path):
    at = app_at(path)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    figs = figures(at)
    assert len(figs) >= 3
    assert all(fig["data"] for fig in figs), "a chart has no data"
    assert not [(fig["layout"]["title"]["text"], unplottable(fig)) for fig in figs if unplottable(fig)]
    labels = [b.proto.label for b in at.get("download_button")]  # under the finished run: take it home
    assert "⬇ PyTorch script" in labels and "⬇ recorded numbers (CSV)" in labels, labels


def test_the_objects_of_the_imports_leave_the_garbage_collectors_scans():
    """A full collection walked every object torch, Plotly and Streamlit made (about 200 ms with every
    session waiting); the app freezes them once, when it first runs."""
    import gc

    from ui import runtime

    app_at()
    assert runtime.settle() > 100_000 and gc.get_freeze_count() > 100_000


def test_the_home_page_counts_the_shared_results():
    from ui import live

    live.results().clear()
    at = app_at("pages/activations.py")  # home's run, then a comparison page's: both shared
    at.switch_page("pages/home.py").run()
    assert cached_runs(at) == 2 == live.results().stats()[0]
    assert " 0.0 MiB" not in " ".join(c.value for c in at.caption)


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
