"""Real browser: on the Transformers page, type a sequence; the trained network reverses it and its
attention on that sequence is redrawn."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept

pytestmark = pytest.mark.browser


def test_typing_a_sequence_runs_it_through_the_trained_network(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Transformers")
    # Training two runs and drawing them can take a while on a loaded 2-core machine.
    expect(page.get_by_text("step 200 / 200 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    expect(page.get_by_text("6 2 9 5 1 4 1 3").first).to_be_visible()

    box = page.get_by_role("textbox", name="Type 8 digits")
    box.fill("12345678")
    box.press("Enter")
    idle(page)
    expect(page.get_by_text("8 7 6 5 4 3 2 1").first).to_be_visible()
    expect(page.get_by_text("0:1").first).to_be_attached()  # the attention map's ticks are the typed digits

    box.fill("12ab")
    box.press("Enter")
    idle(page)
    expect(page.get_by_text("Can't read that sequence").first).to_be_visible()
    box.fill("12345678")
    box.press("Enter")
    idle(page)

    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 6000})  # charts below the fold draw lazily
    expect(charts(page).nth(12)).to_be_attached()
    page.get_by_role("heading", name="Transformers").first.scroll_into_view_if_needed()  # from the top
    page.wait_for_timeout(1500)
    page.screenshot(path=screenshot_dir / "transformer_interaction.png", full_page=True, timeout=120_000)
