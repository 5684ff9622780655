"""GAN page in Chromium: the default run trains to the end; the discriminator-heavy preset retrains
it into mode collapse, and the link records the new settings."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept

pytestmark = pytest.mark.browser


def test_a_preset_retrains_the_gan_into_mode_collapse(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "GANs")
    expect(page.get_by_text("step 2000 / 2000 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    expect(page.get_by_text("8 / 8", exact=True)).to_be_visible()
    expect(charts(page).first).to_be_attached()

    page.get_by_role("button", name="Discriminator-heavy").click()
    idle(page)
    expect(page.get_by_text("step 2000 / 2000 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    assert "lr_d=0.01" in page.url and "k=3" in page.url and "loss=non_saturating" in page.url
    expect(page.get_by_text("1 / 8", exact=True)).to_be_visible()
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 4200})  # the app scrolls inside; show it all
    page.wait_for_timeout(1500)
    page.screenshot(path=screenshot_dir / "gan_interaction.png", full_page=True)
