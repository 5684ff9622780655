"""What one page view costs the server once the run is trained: ``python -m tools.redraw``.

For every page of the catalog, a first session trains the default experiment (through AppTest,
in this process); then further sessions open the same page and get the finished run from the
shared results, so their script run is the cost of drawing the page: every chart, table and
paragraph once. Printed per page: the median CPU milliseconds of those views, and how many
charts one view draws. Pages whose runs are not shared (their own trainers) retrain on every
view, and say so.

It also times every redraw of a live run (``ui.live._draw``: the progress bar and the page's
``draw``) on the process's CPU clock (torch's worker threads count too; nothing else runs
meanwhile), in milliseconds: the first frame of the first run (cold: the process meets the page's
chart types, tensor shapes and convolution kernels for the first time, once per server), then
the median and the largest frame of a second training of the same run (warm, as every later
student's): that is what the pacing multiplies by the number of frames and of students.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dlcore.catalog import all_concepts
from ui import live

ROOT = Path(__file__).resolve().parent.parent


def view(page: str, frames: list[float] | None = None) -> tuple[float, int]:
    """(CPU seconds of one session opening ``page`` through the frame, charts drawn). With ``frames``,
    the CPU seconds of each redraw of a live run are appended to it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["predict"] = "0"  # no question first: the page trains at once
    at.run()
    draw = live._draw

    def timed(placeholder, run, page_draw) -> None:
        start = time.process_time()
        draw(placeholder, run, page_draw)
        if frames is not None and not run.done:  # a frame of a run in training (the last one draws once)
            frames.append(time.process_time() - start)

    live._draw = timed
    try:
        start = time.process_time()
        at.switch_page(page).run()
        cpu = time.process_time() - start
    finally:
        live._draw = draw
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    return cpu, len(at.get("plotly_chart"))


def measure(repeats: int = 3) -> dict[str, dict]:
    out = {}
    for concept in all_concepts():
        cold: list[float] = []
        live.results().clear()
        first, charts = view(concept.page, cold)  # trains (and shares the finished run, where the page does)
        views = [view(concept.page)[0] for _ in range(repeats)]
        median = statistics.median(views)
        frames: list[float] = []
        live.results().clear()
        view(concept.page, frames)  # the same run trained again, in a process that has drawn the page
        out[concept.title] = {"first_view_cpu_ms": first * 1000, "view_cpu_ms": median * 1000, "charts": charts,
                              "shared": median < 0.5 * first, "frames": len(frames),
                              "first_frame_cold_cpu_ms": cold[0] * 1000 if cold else float("nan"),
                              "frame_cpu_ms_median": statistics.median(frames) * 1000 if frames else float("nan"),
                              "frame_cpu_ms_max": max(frames) * 1000 if frames else float("nan")}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from dlcore import limit_threads

    limit_threads()
    result = measure(args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
        return result
    print(f"{'page':<34}{'first view':>12}{'later views':>13}{'charts':>8}{'cold frame':>12}{'frames':>8}"
          f"{'frame median':>14}{'frame max':>11}  ms of CPU")
    for title, r in result.items():
        note = "" if r["shared"] else "  (retrains: runs not shared)"
        print(f"{title:<34}{r['first_view_cpu_ms']:>12.0f}{r['view_cpu_ms']:>13.0f}{r['charts']:>8}"
              f"{r['first_frame_cold_cpu_ms']:>12.1f}{r['frames']:>8}{r['frame_cpu_ms_median']:>14.1f}"
              f"{r['frame_cpu_ms_max']:>11.1f}{note}")
    return result


if __name__ == "__main__":
    main()
