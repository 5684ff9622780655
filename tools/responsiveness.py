"""How quickly a page answers one student in a real browser: ``python -m tools.responsiveness``.

Starts the app on a loopback port, opens it in headless Chromium (Debian's, or ``CHROMIUM_PATH``)
and times, as a person would experience them, medians over ``--repeats``:

- Activation functions: the learning-rate slider moved one notch → the retrained experiment
  finished and drawn;
- Activation functions: the softmax temperature slider moved → its chart redrawn;
- Dropout: the page opened with a fresh seed → the finished experiment drawn.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time

from playwright.sync_api import sync_playwright

from tools.classroom import Server

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# Checked at every animation frame: Playwright's ``expect`` polls after 0, 100, 250, 500 and 1000 ms,
# which would round a 120 ms chart update up to 350 ms.
SHOWS_FINISHED = ("[...document.querySelectorAll('[data-testid=stProgress]')]"
                  ".some(e => e.textContent.includes('— finished'))")
RUNNING = "!!document.querySelector('[data-testid=stStatusWidget]')"
FINISHED = f"() => {SHOWS_FINISHED} && !{RUNNING}"
BUSY = f"() => !{SHOWS_FINISHED} || {RUNNING}"
TITLE = """(want) => [...document.querySelectorAll('.js-plotly-plot .gtitle')].some(e => e.textContent === want)"""


def until(page, script: str, arg=None) -> None:
    page.wait_for_function(script, arg=arg, polling="raf", timeout=120_000)


def timed(page, action, done) -> float:
    start = time.perf_counter()
    action()
    done()
    return time.perf_counter() - start


def measure(repeats: int = 3) -> dict[str, list[float]]:
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    out = {"activations: learning rate → finished": [], "activations: temperature → chart": [],
           "dropout: open → finished": []}
    with Server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROME_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        url = f"http://127.0.0.1:{server.port}"
        page.goto(f"{url}/activations?predict=0")  # warm up: imports, Plotly's JS chunk
        until(page, FINISHED)
        for i in range(repeats):
            page.goto(f"{url}/activations?seed={i + 1}&predict=0")
            until(page, FINISHED)
            slider = page.get_by_role("slider", name="Learning rate")
            out["activations: learning rate → finished"].append(timed(
                page, lambda s=slider: (s.focus(), s.press("ArrowRight")),
                lambda: (until(page, BUSY), until(page, FINISHED))))  # the new run, not the old one's text
            temperature = page.get_by_role("slider", name="temperature T")
            for key, shown in (("ArrowRight", "softmax(z / 2)"), ("ArrowLeft", "softmax(z / 1)")):
                out["activations: temperature → chart"].append(timed(  # until the chart's title says so
                    page, lambda t=temperature, k=key: (t.focus(), t.press(k)),
                    lambda s=shown: until(page, TITLE, s)))
                until(page, FINISHED)
        for i in range(repeats):
            out["dropout: open → finished"].append(timed(
                page, lambda i=i: page.goto(f"{url}/dropout?seed={100 + i}&predict=0"),
                lambda: until(page, FINISHED)))
        browser.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.repeats)
    summary = {k: {"median_s": statistics.median(v), "runs_s": v} for k, v in result.items()}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for k, v in summary.items():
            print(f"{k:<42} median {v['median_s']:5.2f} s   ({', '.join(f'{x:.2f}' for x in v['runs_s'])})")
    return summary


if __name__ == "__main__":
    main()
