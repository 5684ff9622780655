"""Real browser: on the Recurrent networks page, the three cells train and draw; pressing the
exploding demo button retrains a ReLU RNN that diverges, and switching on clipping rescues it."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import charts, idle, no_exception, open_concept

pytestmark = pytest.mark.browser
TITLE = "Recurrent networks"


def test_exploding_demo_diverges_and_clipping_rescues_it(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, TITLE)
    expect(page.get_by_text("step 150 / 150 — finished")).to_be_visible(timeout=180_000)
    idle(page)
    expect(charts(page).first).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").filter(has_text="Gradient reaching step t")).to_have_count(1)

    page.get_by_role("button", name="Exploding demo").click()
    idle(page)
    no_exception(page)
    blew_up = page.get_by_text("The curves stop where the run blew up")  # the divergence warning
    expect(blew_up).to_be_visible()
    expect(page.get_by_text("diverged at step 2: the loss became nan").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"nonlin=relu"))

    page.get_by_text("Gradient clipping (global norm 1)").click()
    idle(page)
    expect(page.get_by_text("step 150 / 150 — finished")).to_be_visible(timeout=120_000)
    expect(blew_up).to_have_count(0)
    no_exception(page)
    expect(page).to_have_url(re.compile(r"clip=1(&|$)"))
    page.set_viewport_size({"width": 1400, "height": 6000})
    page.wait_for_timeout(1000)
    page.screenshot(path=screenshot_dir / "rnn_interaction.png", full_page=True)
