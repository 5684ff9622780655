"""Real browser: on the Vanishing & exploding gradients page, press the exploding demo button
and see the page train both runs side by side and report the divergence."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept

pytestmark = pytest.mark.browser
TITLE = "Vanishing & exploding gradients"


def test_exploding_demo_button_shows_divergence_and_a_clipped_run(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, TITLE)
    expect(charts(page).first).to_be_visible()
    heatmaps = page.get_by_test_id("stPlotlyChart").filter(has_text="gradient norm per layer —")
    expect(heatmaps).to_have_count(1)
    expect(page.get_by_text("diverged at step")).to_have_count(0)

    page.get_by_role("button", name="Exploding demo").click()
    idle(page)
    no_exception(page)
    expect(page.get_by_text("no clipping diverged at step")).to_be_visible()
    expect(heatmaps).to_have_count(2)  # without and with clipping, side by side
    expect(page).to_have_url(re.compile(r"init=large_normal"))  # waits for the address bar
    expect(page).to_have_url(re.compile(r"clip=1(&|$)"))
    page.set_viewport_size({"width": 1400, "height": 6000})
    page.wait_for_timeout(500)
    page.screenshot(path=screenshot_dir / "vanishing_gradients_exploding.png", full_page=True)


def test_weight_scale_slider_moves_the_marker_and_the_link(page: Page, app_url, screenshot_dir):
    import re

    from tests.support.browser import press_slider

    open_concept(page, app_url, TITLE)
    expect(page.get_by_text("Can larger weights rescue sigmoid?").first).to_be_visible()
    press_slider(page, "Weight scale s (hidden weights ~ N(0, s²/n_in))", "End")
    expect(page).to_have_url(re.compile(r"[?&]s=20(&|$)"))
    expect(page.get_by_text("At s = 20: layer 1 gets").first).to_be_visible()
    no_exception(page)
    page.get_by_text("Can larger weights rescue sigmoid?").first.scroll_into_view_if_needed()
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.wait_for_timeout(800)
    page.screenshot(path=screenshot_dir / "vanishing_gradients_interaction.png")
