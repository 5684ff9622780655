"""Loss functions page in Chromium: moving the outlier slider refits the lines."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import no_exception, open_page, press_slider

pytestmark = pytest.mark.browser


def test_outlier_slider_refits(page: Page, app_url, screenshot_dir):
    open_page(page, f"{app_url}/losses")
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()
    press_slider(page, "Outliers", "Home")
    expect(page).to_have_url(re.compile(r"outliers=0(&|$)"))  # waits for the address bar
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()
    no_exception(page)
