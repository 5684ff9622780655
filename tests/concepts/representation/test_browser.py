"""Real browser: on the Representation learning page, move the transfer slider to one label per
digit, as a person would; the transfer chart is redrawn for it."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept, press_slider

pytestmark = pytest.mark.browser


def test_fewer_transfer_labels_redraw_the_transfer_chart(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Representation learning")
    expect(page.get_by_text("step 400 / 400 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    expect(page.get_by_text("with 5 labelled image(s) per digit").first).to_be_visible()

    press_slider(page, "Transfer: labels per digit", "Home")  # 5 -> 1

    expect(page.get_by_text("with 1 labelled image(s) per digit").first).to_be_visible(timeout=120_000)
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 6000})  # charts below the fold draw lazily
    expect(charts(page).nth(6)).to_be_attached()
    page.wait_for_timeout(1500)
    page.screenshot(path=screenshot_dir / "representation_interaction.png", full_page=True)
