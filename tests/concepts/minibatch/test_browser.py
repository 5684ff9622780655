"""Mini-batch training page in Chromium: switching the x-axis to epochs redraws the curves."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import idle, no_exception, open_page

pytestmark = pytest.mark.browser


def test_epoch_toggle_redraws(page: Page, app_url, screenshot_dir):
    open_page(page, f"{app_url}/minibatch")
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()
    page.get_by_text("Put epochs (passes over the data) on the x-axis").click()
    idle(page)
    expect(page.get_by_text("epoch (passes over the training set)").first).to_be_visible()
    no_exception(page)
