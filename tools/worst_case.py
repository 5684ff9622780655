"""The most one student can make a page cost: ``python -m tools.worst_case``.

For every page of the catalog, in a fresh process each (so memory peaks are the page's own):
open it, push every slider and select-slider to its maximum at once (the corner where runs are
longest and networks widest) — except learning rates, which stay at their defaults (at the maximum
rate a run diverges within a few steps and costs little) — run it to the end, and report the CPU
seconds of that run and the
process's peak memory. The page's defaults are measured the same way for comparison.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from dlcore.catalog import all_concepts

ROOT = Path(__file__).resolve().parent.parent


def measure_page(page: str, corner: str) -> dict:
    """In this process: CPU seconds and peak memory of opening ``page`` at ``corner`` (defaults|max)."""
    from streamlit.testing.v1 import AppTest

    from dlcore import limit_threads

    limit_threads()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params["predict"] = "0"  # no question first: the page trains at once
    at.run()
    at.switch_page(page).run()
    start = time.process_time()
    if corner == "max":
        for s in at.slider:
            if s.key and "." in s.key and not s.disabled and "learning rate" not in s.label.lower():
                s.set_value(s.max)
        for s in at.select_slider:
            if s.key and "." in s.key and not s.disabled and "learning rate" not in s.label.lower():
                s.set_value(type(s.value)(s.options[-1]))
    at.run()
    cpu = time.process_time() - start if corner == "max" else None
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"cpu_s": cpu, "peak_mib": peak_mib, "exception": bool(at.exception),
            "refused": [e.value for e in at.error]}


def measure(pages: list[str]) -> dict[str, dict]:
    out = {}
    for page in pages:
        row = {}
        for corner in ("defaults", "max"):
            cmd = [sys.executable, "-m", "tools.worst_case", "--one", page, "--corner", corner]
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
            row[corner] = json.loads(done.stdout.strip().splitlines()[-1])
        out[page] = row
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--corner", default="max", help=argparse.SUPPRESS)
    parser.add_argument("--pages", nargs="*", help="page files (default: every page of the catalog)")
    args = parser.parse_args(argv)
    if args.one:  # the child process
        result = measure_page(args.one, args.corner)
        print(json.dumps(result))
        return result
    pages = args.pages or [c.page for c in all_concepts()]
    result = measure(pages)
    if args.json:
        print(json.dumps(result, indent=2))
        return result
    print(f"{'page':<30}{'max corner: CPU s':>19}{'peak MiB':>10}{'(defaults: peak MiB)':>22}")
    for page, row in result.items():
        m, d = row["max"], row["defaults"]
        note = "  EXCEPTION" if m["exception"] else ("  refused: " + m["refused"][0][:60] if m["refused"] else "")
        print(f"{page:<30}{m['cpu_s']:>19.2f}{m['peak_mib']:>10.0f}{d['peak_mib']:>22.0f}{note}")
    return result


if __name__ == "__main__":
    main()
