"""Real browser: the app served by `streamlit run`, opened in Debian's Chromium.

Every page opens without an error element, its charts draw, and a screenshot is kept under
test-output/screenshots/ for a person to look at.
"""

import pytest
from playwright.sync_api import Page, expect

from dlcore.catalog import all_concepts
from tests.support.browser import charts, no_exception, open_concept, open_page

pytestmark = pytest.mark.browser
PAGES = all_concepts()


def test_home_links_to_every_page(page: Page, app_url, screenshot_dir):
    open_page(page, app_url)
    expect(page.get_by_role("heading", name="DL Fundamentals Lab")).to_be_visible()
    for concept in PAGES:
        title = page.get_by_text(concept.title, exact=True)  # the bold title, not a word in a summary
        expect(page.get_by_test_id("stPageLink").filter(has=title)).to_have_count(1)
    no_exception(page)
    page.screenshot(path=screenshot_dir / "home.png", full_page=True)


@pytest.mark.parametrize("concept", PAGES, ids=[c.title for c in PAGES])
def test_page_opens_trains_and_draws(page: Page, app_url, screenshot_dir, concept):
    open_concept(page, app_url, concept.title)
    expect(page.get_by_text("— training…")).to_have_count(0, timeout=120_000)  # live runs have finished
    no_exception(page)
    expect(charts(page).first).to_be_visible()
    # Charts below the fold may be drawn only once scrolled into view: show the whole page.
    page.set_viewport_size({"width": 1400, "height": 6000})
    expect(charts(page).nth(2)).to_be_visible()  # at least three charts have drawn traces
    page.wait_for_timeout(1000)
    page.screenshot(path=screenshot_dir / f"{concept.slug}.png", full_page=True, timeout=120_000)


def test_review_deck_reveals_an_answer(page: Page, app_url, screenshot_dir):
    open_concept(page, app_url, "Review deck")
    page.get_by_role("button", name="Show the answer").click()
    expect(page.get_by_role("button", name="✅ Knew it")).to_be_visible()
    expect(page.get_by_text("Open the live demo").first).to_be_visible()
    no_exception(page)
    page.screenshot(path=screenshot_dir / "review.png", full_page=True)
