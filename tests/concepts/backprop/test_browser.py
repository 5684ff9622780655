"""Real browser: on the Backpropagation page, the Next button moves the walk-through one node."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept

pytestmark = pytest.mark.browser


def test_next_button_steps_the_forward_pass(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Backpropagation")
    titles = page.locator(".js-plotly-plot .gtitle")
    expect(titles.filter(has_text="step 0 of 23: start")).to_have_count(1)
    page.get_by_role("button", name="Next ▶").click()
    idle(page)
    expect(titles.filter(has_text="step 1 of 23: forward pass at z₁")).to_have_count(1)
    expect(page.get_by_text("z₁ = w₁₁·x₁ + w₁₂·x₂ + b₁ =", exact=False)).to_be_visible()
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 6000})  # charts below the fold draw lazily
    expect(charts(page).nth(2)).to_be_attached()
    page.screenshot(path=screenshot_dir / "backprop-step1.png", full_page=True)
