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


def test_a_first_visit_asks_before_it_trains_then_checks_the_answer(page: Page, app_url, screenshot_dir):
    """Predict-then-reveal is on for a new visitor: the run waits at step 0 for an answer, then trains,
    and the verdict appears under the finished run."""
    page.goto(f"{app_url}/minibatch?steps=100&sizes=16,full")  # no predict= in the link: the default
    expect(page.get_by_text("Answer (or skip) to start training.")).to_be_visible()
    expect(page.get_by_text("step 0 / 100 — paused")).to_be_visible()
    question = page.get_by_test_id("stSelectbox").filter(has_text="which batch size will end with the lowest")
    question.click()
    page.get_by_role("option", name="B = 16", exact=True).click()
    expect(page.get_by_text("step 100 / 100 — finished")).to_be_visible()
    expect(page.get_by_text("Right — you predicted").or_(page.get_by_text("Not this time — you predicted"))
           ).to_be_visible()
    no_exception(page)
    page.screenshot(path=screenshot_dir / "predict-then-reveal.png", full_page=True)


def test_the_first_visitor_of_a_fresh_server_through_a_deep_link_gets_the_frame(page: Page, screenshot_dir):
    """Streamlit runs pages/*.py without app.py until some session has called st.navigation; the first
    student opening a teacher's link on a freshly started server must still see the app's frame (its
    sections and sidebar toggles), on the linked page with the link's settings."""
    from tools.classroom import Server

    with Server() as fresh:
        page.goto(f"http://127.0.0.1:{fresh.port}/minibatch?steps=100&sizes=16,full&lr=0.03&predict=0")
        expect(page.get_by_text("step 100 / 100 — finished")).to_be_visible()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Training in practice")).to_be_visible()  # a section of the frame
        expect(sidebar.get_by_text("📽️ Projector mode")).to_be_visible()
        expect(page.get_by_role("slider", name="Learning rate")).to_have_attribute("aria-valuetext", "0.03")
        no_exception(page)
