"""Activation functions page in Chromium: a slider moved with the keyboard retrains the networks,
and a shared link with a huge learning rate shows divergence as a message, not a crash."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_page, press_slider

pytestmark = pytest.mark.browser


def test_moving_the_depth_slider_retrains(page: Page, app_url, screenshot_dir):
    open_page(page, f"{app_url}/activations")
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()
    press_slider(page, "Hidden layers", "ArrowRight")
    expect(page).to_have_url(re.compile(r"depth=4(&|$)"))  # the link now reproduces the new experiment
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible()
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 6000})  # charts below the fold draw lazily
    expect(charts(page).nth(2)).to_be_attached()


def test_a_link_with_learning_rate_10_shows_divergence(page: Page, app_url, screenshot_dir):
    open_page(page, f"{app_url}/activations?lr=10")
    expect(page.get_by_text("diverged at step").first).to_be_visible()
    no_exception(page)
    page.get_by_role("button", name="↺ Restart").click()
    idle(page)
    expect(page.get_by_text("diverged at step").first).to_be_visible()
    page.screenshot(path=screenshot_dir / "activations-diverged.png")
