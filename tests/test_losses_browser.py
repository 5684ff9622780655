"""Loss functions page in Chromium: moving the outlier slider refits the lines."""

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser import idle, open_page

pytestmark = pytest.mark.browser


def test_outlier_slider_refits(page: Page, app_url, screenshot_dir):
    open_page(page, f"{app_url}/losses")
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()
    slider = page.get_by_role("slider", name="Outliers")
    slider.focus()
    slider.press("Home")
    idle(page)
    assert "outliers=0" in page.url
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
