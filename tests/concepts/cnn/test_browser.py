"""Real browser: on the Convolutional networks page, add a convolutional layer with the slider; the network
retrains and its third layer shows up in the receptive-field chart and the size table."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept, press_slider

pytestmark = pytest.mark.browser


def test_a_third_layer_grows_the_receptive_field(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Convolutional networks")
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    expect(page.get_by_text("layer 2: 5×5 px").first).to_be_attached()

    press_slider(page, "Convolutional layers", "End")  # 2 -> 3 layers
    expect(page.get_by_text("step 300 / 300 — finished")).to_be_visible(timeout=180_000)
    idle(page)

    expect(page.get_by_text("layer 3: 7×7 px").first).to_be_attached()
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 7000})  # charts below the fold draw lazily
    expect(charts(page).nth(7)).to_be_attached()
    page.wait_for_timeout(1500)
    page.screenshot(path=screenshot_dir / "cnn_interaction.png", full_page=True, timeout=120_000)
