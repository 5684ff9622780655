"""A classroom on one server: N students open the same page at once. ``python -m tools.classroom``

    python -m tools.classroom --page dropout --students 30                  # same link for all
    python -m tools.classroom --page dropout --students 30 --seeds distinct # everyone a different seed
    python -m tools.classroom --page activations --students 10 --json

It starts the app (``streamlit run app.py``) on a free loopback port, then opens N sessions
together the way a browser does: a websocket to ``/_stcore/stream`` with subprotocol
``streamlit``, one ``BackMsg.rerun_script`` whose client state carries the page's query string
and ``page_name``, then it reads ``ForwardMsg``s until ``script_finished``. It prints p50 / p95 /
max of the time to the first chart and to the finished page, the bytes and chart updates each
session received, and the server's CPU seconds and peak memory. Loopback only; bounded in
sessions (≤ 60) and time (``--timeout``), and it stops the server it started.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from ui.live import TRAINING

ROOT = Path(__file__).resolve().parent.parent
MAX_STUDENTS = 60
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


DEMO = "predict=0"  # a teacher's demo link: no question first, every student's page trains at once

@dataclass
class Visit:
    """What one student's session received."""

    query: str
    first_chart: float = float("nan")  # seconds from the request to the first chart
    finished: float = float("nan")  # seconds to script_finished
    bytes: int = 0
    chart_updates: int = 0  # plotly_chart elements received (each redraw of each chart counts)
    ok: bool = False
    error: str = ""
    tables: list[str] = field(default_factory=list)  # digests of the data tables, in order
    states: list[str] = field(default_factory=list)  # the live run's states shown, in order ("training…")

    @property
    def trained(self) -> bool:
        """Whether this session trained the run itself (rather than following another's or getting it)."""
        return TRAINING in self.states

    @property
    def final(self) -> str:
        """A digest of the last table the page showed (its final numbers)."""
        return self.tables[-1] if self.tables else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` on a loopback port, for the duration of a ``with`` block."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        self.process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=1).read() == b"ok":
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("the app did not answer /_stcore/health within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def memory(self) -> tuple[float, float]:
        """(resident, peak resident) memory of the server in MiB."""
        status = dict(line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines())
        return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/task"))


async def visit(port: int, page: str, query: str, timeout: float) -> Visit:
    """One student opens ``/<page>?<query>`` and waits until the page has finished running."""
    result = Visit(query)
    url = f"ws://127.0.0.1:{port}/_stcore/stream"
    start = time.perf_counter()
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
            msg = BackMsg()
            msg.rerun_script.query_string = query
            msg.rerun_script.page_name = page
            await ws.send(msg.SerializeToString())
            async with asyncio.timeout(timeout):
                while True:
                    data = await ws.recv()
                    result.bytes += len(data)
                    fwd = ForwardMsg()
                    fwd.ParseFromString(data)
                    kind = fwd.WhichOneof("type")
                    if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                        element = fwd.delta.new_element.WhichOneof("type")
                        if element == "plotly_chart":
                            result.chart_updates += 1
                            if result.chart_updates == 1:
                                result.first_chart = time.perf_counter() - start
                        elif element == "progress":
                            state = fwd.delta.new_element.progress.text.rpartition(" — ")[2]
                            if not result.states or result.states[-1] != state:
                                result.states.append(state)
                        elif element == "dataframe":
                            table = fwd.delta.new_element.dataframe.arrow_data.data
                            result.tables.append(hashlib.sha256(table).hexdigest()[:16])
                        elif element == "exception":
                            result.error = fwd.delta.new_element.exception.message
                    elif kind == "script_finished":
                        if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                            continue  # the page asked for a rerun (e.g. through the frame): wait for that one
                        result.finished = time.perf_counter() - start
                        result.ok = not result.error
                        return result
    except (TimeoutError, OSError, websockets.WebSocketException) as err:
        result.error = result.error or f"{type(err).__name__}: {err}"
    return result


async def leave_early(port: int, page: str, query: str, after: float) -> None:
    """A student opens the page and closes the tab ``after`` seconds later, mid-run."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, open_timeout=30) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        await ws.send(msg.SerializeToString())
        try:
            async with asyncio.timeout(after):
                while True:
                    await ws.recv()
        except TimeoutError:
            pass


def abandon(page: str, students: int = 20, after: float = 0.5, watch: float = 10.0, query: str = DEMO,
            server: Server | None = None) -> dict:
    """``students`` sessions open ``page`` (distinct seeds, so each trains) and leave mid-run;
    then the server's CPU use and thread count are sampled every second for ``watch`` seconds."""
    if not 1 <= students <= MAX_STUDENTS:
        raise ValueError(f"students must be between 1 and {MAX_STUDENTS}, got {students}")
    own = server is None
    server = server or Server().__enter__()
    try:
        idle_threads = server.threads()
        queries = ["&".join(p for p in (query, f"seed={100 + i}") if p) for i in range(students)]

        async def everyone() -> None:
            await asyncio.gather(*(leave_early(server.port, page, q, after) for q in queries))

        run_async(everyone())
        samples, last = [], server.cpu_seconds()
        for second in range(1, int(watch) + 1):
            time.sleep(1)
            now = server.cpu_seconds()
            samples.append({"second": second, "cpu_busy": now - last, "threads": server.threads()})
            last = now
    finally:
        if own:
            server.__exit__()
    return {"page": page, "students": students, "left_after_s": after, "threads_before": idle_threads,
            "samples": samples}


def run_async(coroutine):
    """Run ``coroutine`` to the end on a fresh event loop in its own thread, so the load test works
    from code that already has a loop running (a test process where Playwright's sync API lives)."""
    out: dict = {}

    def target() -> None:
        try:
            out["value"] = asyncio.run(coroutine)
        except BaseException as err:  # handed back to the caller's thread
            out["error"] = err

    thread = threading.Thread(target=target, name="classroom")
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def percentile(values: list[float], q: float) -> float:
    values = sorted(v for v in values if v == v)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


async def classroom(port: int, page: str, queries: list[str], timeout: float) -> list[Visit]:
    return await asyncio.gather(*(visit(port, page, q, timeout) for q in queries))


def run(page: str, students: int, seeds: str = "same", query: str = DEMO, timeout: float = 300,
        server: Server | None = None) -> dict:
    """Open ``students`` sessions of ``page`` at once against ``server`` (or a new one); a summary."""
    if not 1 <= students <= MAX_STUDENTS:
        raise ValueError(f"students must be between 1 and {MAX_STUDENTS}, got {students}")
    queries = [query if seeds == "same" else "&".join(p for p in (query, f"seed={i + 1}") if p)
               for i in range(students)]
    own = server is None
    server = server or Server().__enter__()
    try:
        if own:  # the first visit imports torch, plotly and the pages: not part of any student's cost
            run_async(classroom(server.port, page, ["seed=9999"], timeout))
        cpu0 = server.cpu_seconds()
        wall0 = time.perf_counter()
        visits = run_async(classroom(server.port, page, queries, timeout))
        wall = time.perf_counter() - wall0
        cpu = server.cpu_seconds() - cpu0
        rss, peak = server.memory()
    finally:
        if own:
            server.__exit__()
    firsts, finished = [v.first_chart for v in visits], [v.finished for v in visits]
    return {
        "page": page, "students": students, "seeds": seeds,
        "ok": sum(v.ok for v in visits), "errors": sorted({v.error for v in visits if v.error}),
        "first_chart_s": {"p50": percentile(firsts, 0.5), "p95": percentile(firsts, 0.95), "max": max(firsts)},
        "finished_s": {"p50": percentile(finished, 0.5), "p95": percentile(finished, 0.95), "max": max(finished)},
        "wall_s": wall,
        "server_cpu_s": cpu, "server_cpu_per_student_s": cpu / students,
        "server_rss_mib": rss, "server_peak_rss_mib": peak,
        "kib_per_student": statistics.mean(v.bytes for v in visits) / 1024,
        "chart_updates_per_student": statistics.mean(v.chart_updates for v in visits),
        "max_chart_updates": max(v.chart_updates for v in visits),
        "distinct_final_tables": len({v.final for v in visits}),
        "sessions_that_trained": sum(v.trained for v in visits),
        "visits": [asdict(v) | {"final": v.final, "trained": v.trained} for v in visits],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="dropout", help="the page's URL path (its slug), e.g. dropout")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seeds", choices=("same", "distinct"), default="same",
                        help="same: everyone opens the same link; distinct: seed=1…N, nothing to share")
    parser.add_argument("--query", default=DEMO, help=f"the link's query string (default '{DEMO}'), "
                        "e.g. 'predict=0&lr=0.1&steps=200'")
    parser.add_argument("--timeout", type=float, default=300, help="seconds each session may take")
    parser.add_argument("--abandon", type=float, default=None, metavar="SECONDS",
                        help="every student leaves this many seconds after opening the page; then the server's "
                             "CPU and threads are watched for 10 s")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.abandon is not None:
        result = abandon(args.page, args.students, args.abandon, query=args.query)
        print(json.dumps(result, indent=2) if args.json else "\n".join(
            [f"{result['students']} students left /{result['page']} after {result['left_after_s']} s; "
             f"server threads before: {result['threads_before']}"]
            + [f"  +{s['second']:>2} s: CPU busy {s['cpu_busy']:.2f} s/s, {s['threads']} threads"
               for s in result["samples"]]))
        return result
    result = run(args.page, args.students, args.seeds, args.query, args.timeout)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "visits"}, indent=2))
        return result
    f, d = result["first_chart_s"], result["finished_s"]
    print(f"{result['students']} students on /{result['page']} ({result['seeds']} link): "
          f"{result['ok']} finished without error")
    print(f"  time to first chart   p50 {f['p50']:6.2f} s   p95 {f['p95']:6.2f} s   max {f['max']:6.2f} s")
    print(f"  time to finished      p50 {d['p50']:6.2f} s   p95 {d['p95']:6.2f} s   max {d['max']:6.2f} s")
    print(f"  server CPU            {result['server_cpu_s']:.1f} s in all, "
          f"{result['server_cpu_per_student_s']:.2f} s per student")
    print(f"  server memory         {result['server_rss_mib']:.0f} MiB now, "
          f"peak {result['server_peak_rss_mib']:.0f} MiB")
    print(f"  per student           {result['kib_per_student']:.0f} KiB, "
          f"{result['chart_updates_per_student']:.1f} chart updates (max {result['max_chart_updates']})")
    print(f"  distinct final tables {result['distinct_final_tables']}, "
          f"sessions that trained the run {result['sessions_that_trained']}")
    for error in result["errors"]:
        print(f"  error: {error}")
    return result


if __name__ == "__main__":
    main()
