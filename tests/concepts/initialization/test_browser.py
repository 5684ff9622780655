"""Real browser: on the Weight initialization page, one fewer hidden layer redraws the probe."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept

pytestmark = pytest.mark.browser

# Markers drawn on the last line (He normal) of the "Forward" chart: one per layer, input included.
FORWARD_POINTS = """() => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')]
    .find(p => (p.querySelector('.gtitle')?.textContent || '').startsWith('Forward'));
  const traces = plot ? plot.querySelectorAll('.scatterlayer .trace') : [];
  return traces.length ? traces[traces.length - 1].querySelectorAll('.points path').length : -1;
}"""


def test_depth_slider_redraws_the_forward_signal(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Weight initialization")
    expect(charts(page).first).to_be_visible()
    page.wait_for_function(f"({FORWARD_POINTS})() === 11", timeout=30_000)  # the input + 10 hidden layers

    page.get_by_role("slider", name="Hidden layers").press("ArrowLeft")
    idle(page)
    page.wait_for_function(f"({FORWARD_POINTS})() === 10", timeout=30_000)
    expect(page).to_have_url(re.compile(r"depth=9(&|$)"))  # waits for the address bar
    no_exception(page)
    page.screenshot(path=screenshot_dir / "initialization-depth9.png", full_page=True)
