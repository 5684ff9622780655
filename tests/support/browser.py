"""Browser helpers: open the app or a concept page, wait for it to be idle, move a slider."""

from playwright.sync_api import Page, expect

expect.set_options(timeout=60_000)  # generous: shared CI machines can be slow


def open_page(page: Page, url: str) -> None:
    """Open ``url`` with predict-then-reveal off unless the link says otherwise (``predict=1``): the
    pages' runs train at once, and the choice holds for the session's later pages."""
    if "predict=" not in url:
        url += ("&" if "?" in url else "?") + "predict=0"
    page.goto(url)
    expect(page.get_by_test_id("stApp")).to_be_visible()
    # The frame has run with the link (not only the empty app shell): its toggle shows the link's choice.
    toggle = expect(page.get_by_role("switch", name="🔮 Predict before it trains"))
    toggle.to_be_checked() if "predict=1" in url else toggle.not_to_be_checked()
    idle(page)


def open_concept(page: Page, url: str, title: str) -> None:
    """Open the app, follow the sidebar link to the page ``title``, wait until it has run."""
    open_page(page, url)
    page.get_by_role("link", name=title, exact=True).first.click()  # the sidebar entry, not a summary
    expect(page.get_by_role("heading", name=title).first).to_be_visible()
    idle(page)


def press_slider(page: Page, label: str, key: str) -> None:
    """Move the slider named ``label`` with the keyboard (ArrowRight, Home, End…), as a person would."""
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    slider.press(key)
    idle(page)


def idle(page: Page) -> None:
    """Wait until the script has finished running (the 'Running…' widget is gone)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)


def no_exception(page: Page) -> None:
    """No traceback on the page; if there is one, the failure shows its text (a CI log has no screenshot)."""
    exceptions = page.get_by_test_id("stException")
    if exceptions.count():
        raise AssertionError("the page shows an exception:\n" + exceptions.first.inner_text())


def charts(page: Page):
    return page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot .scatterlayer .trace, "
                                                        ".js-plotly-plot .heatmaplayer .hm, "
                                                        ".js-plotly-plot .barlayer .trace")
