"""Real browser: on the Debugging page, pick the missing-zero_grad bug; the broken run diverges with a message."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept

pytestmark = pytest.mark.browser


def test_choosing_a_bug_trains_it_next_to_its_fix(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Debugging a training run")
    expect(page.get_by_text("step 200 / 200 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="What is broken").click()
    page.get_by_role("option", name="forgot optimizer.zero_grad()").click()
    expect(page).to_have_url(re.compile(r"[?&]bug=no_zero_grad(&|$)"))
    expect(page.get_by_text("step 200 / 200 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    expect(page.get_by_text("diverged at step").first).to_be_visible()
    expect(page.get_by_text("broken: forgot optimizer.zero_grad()").first).to_be_attached()
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 6000})  # charts below the fold draw lazily
    expect(charts(page).nth(7)).to_be_attached()
    page.wait_for_timeout(1000)
    page.screenshot(path=screenshot_dir / "practical_tips_interaction.png", full_page=True)
