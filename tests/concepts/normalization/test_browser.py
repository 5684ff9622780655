"""Normalization page in Chromium: the learning-rate sweep runs from its button."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import idle, no_exception, open_page

pytestmark = pytest.mark.browser


def test_sweep_button_draws_the_sweep(page: Page, app_url, screenshot_dir):
    open_page(page, f"{app_url}/normalization")
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()
    page.get_by_role("button", name="Run the sweep").click()
    idle(page)
    expect(page.get_by_text("Final validation loss against learning rate")).to_be_visible()
    no_exception(page)
