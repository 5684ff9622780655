"""Real browser: on the Data augmentation page, fewer training images retrain every run; the URL follows."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept, press_slider

pytestmark = pytest.mark.browser


def test_fewer_training_images_retrain_and_redraw(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Data augmentation")
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    press_slider(page, "Training images", "Home")  # 100 → 50
    expect(page).to_have_url(re.compile(r"[?&]n=50(&|$)"))
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    expect(page.get_by_text("Validation accuracy on varied digits").first).to_be_attached()
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 6000})  # charts below the fold draw lazily
    expect(charts(page).nth(5)).to_be_attached()
    page.wait_for_timeout(1000)
    page.screenshot(path=screenshot_dir / "augmentation_interaction.png", full_page=True)
