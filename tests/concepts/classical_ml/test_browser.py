"""Real browser: on the Deep learning vs classical ML page, drop the hand-made features as a
person would; the charts are redrawn on pixels only."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept

pytestmark = pytest.mark.browser


def test_dropping_hand_made_features_redraws_on_pixels_only(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Deep learning vs classical ML")
    expect(page.get_by_text("step 10 / 10 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    expect(page.get_by_text("MLP — hand-made").first).to_be_visible()

    features = page.get_by_test_id("stMultiSelect").filter(has_text="Features")
    features.locator("input").click()
    page.keyboard.press("Backspace")  # removes the last chip, "hand-made", as a person would
    page.keyboard.press("Escape")
    idle(page)

    expect(page.get_by_text("step 5 / 5 — finished")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("MLP — hand-made")).to_have_count(0)
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 6000})
    expect(charts(page).nth(3)).to_be_attached()
    page.wait_for_timeout(1500)
    page.screenshot(path=screenshot_dir / "classical_ml_interaction.png", full_page=True)
