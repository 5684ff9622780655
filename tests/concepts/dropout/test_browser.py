"""Real browser: on the Dropout page, choose another run to look inside; its masks are redrawn."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_page

pytestmark = pytest.mark.browser


def test_choosing_the_run_to_look_inside_redraws_its_masks(page: Page, app_url, screenshot_dir):
    open_page(page, app_url)
    page.get_by_role("link", name="Dropout").first.click()
    expect(page.get_by_role("heading", name="Dropout").first).to_be_visible()
    # Training the three runs and drawing them can take a while on a loaded 2-core machine.
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    expect(page.get_by_text("p = 0.5: keep-mask of layer 1").first).to_be_visible()

    page.get_by_test_id("stSelectbox").filter(has_text="Look inside the run").click()
    page.get_by_role("option", name="p = 0.2").click()
    idle(page)

    expect(page.get_by_text("p = 0.2: keep-mask of layer 1").first).to_be_visible()
    expect(page.get_by_text("(p = 0.2)").first).to_be_visible()
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 6000})  # charts below the fold draw lazily
    expect(charts(page).nth(6)).to_be_attached()
    page.set_viewport_size({"width": 1400, "height": 6000})  # the app scrolls inside; show it all
    page.wait_for_timeout(1000)
    page.screenshot(path=screenshot_dir / "dropout-look-inside.png", full_page=True)
