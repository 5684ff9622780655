"""Real browser, Optimizers page: changing a start point with the keyboard redraws the paths."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept

pytestmark = pytest.mark.browser


def test_moving_the_start_point_redraws_the_surface_paths(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Optimizers")
    expect(charts(page).first).to_be_visible()
    surface = page.get_by_test_id("stPlotlyChart").first
    before = surface.locator(".scatterlayer").inner_html()
    slider = page.get_by_role("slider", name="Start y₀")
    for _ in range(4):
        slider.press("ArrowLeft")
    idle(page)
    expect(page).to_have_url(re.compile(r"quadratic_y0=0\.8(&|$)"))  # waits for the address bar
    no_exception(page)
    after = surface.locator(".scatterlayer").inner_html()
    assert after != before, "the paths did not change when the start point moved"
    # Plotly's own Play button (an SVG element, not an HTML button) replays the paths from step 0.
    surface.locator(".updatemenu-button", has_text="Play from start").click()
    page.wait_for_timeout(800)
    mid = surface.locator("text.slider-label", has_text="step").text_content()
    page.wait_for_timeout(4000)
    end = surface.locator("text.slider-label", has_text="step").text_content()
    assert mid != end, f"the animation did not move ({mid} → {end})"
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 2000})
    page.screenshot(path=screenshot_dir / "optimizers_interaction.png", full_page=False)
