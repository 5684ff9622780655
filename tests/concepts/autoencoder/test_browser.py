"""Autoencoders page in Chromium: widening the bottleneck with the keyboard retrains, and the
comparison with PCA follows the new size."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, no_exception, open_concept, press_slider

pytestmark = pytest.mark.browser


def test_widening_the_bottleneck_retrains_against_pca_of_the_same_size(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Autoencoders")
    expect(page.get_by_text("step 1000 / 1000 — finished")).to_be_visible(timeout=180_000)
    expect(page.get_by_text("PCA's top 2 components")).to_be_visible()

    press_slider(page, "Bottleneck size (numbers in the code)", "ArrowRight")
    expect(page).to_have_url(re.compile(r"z=3(&|$)"))  # the link reproduces the new experiment
    expect(page.get_by_text("step 1000 / 1000 — finished")).to_be_visible(timeout=180_000)
    expect(page.get_by_text("PCA's top 3 components")).to_be_visible()
    no_exception(page)

    page.set_viewport_size({"width": 1400, "height": 7000})  # charts below the fold draw lazily
    expect(charts(page).nth(6)).to_be_attached()
    page.wait_for_timeout(1500)
    page.screenshot(path=screenshot_dir / "autoencoder_interaction.png", full_page=True)
