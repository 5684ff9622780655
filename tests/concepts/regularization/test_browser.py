"""Regularization page in Chromium: the patience slider moves the early-stopping point."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import no_exception, open_page, press_slider

pytestmark = pytest.mark.browser


def test_patience_slider(page: Page, app_url, screenshot_dir):
    open_page(page, f"{app_url}/regularization")
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()
    press_slider(page, "Early-stopping patience (evaluations)", "End")
    expect(page).to_have_url(re.compile(r"patience=10(&|$)"))  # waits for the address bar
    expect(page.get_by_text("stops at (patience 10)")).to_be_attached()  # a data-grid header
    no_exception(page)
