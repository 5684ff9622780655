"""A small classroom through the project's own load test (``tools.classroom``): real sessions over
Streamlit's websocket protocol against a real server. Assertions are on counts and numbers, never
on times: same link ⇒ the same final numbers, another seed ⇒ other numbers, and the frames a
session receives are bounded whatever the number of sessions."""

from __future__ import annotations

import pytest

from tools import classroom
from ui.live import FOLLOWING, MAX_FRAMES

PAGE, QUERY = "dropout", "predict=0&steps=100"  # a teacher's demo link


@pytest.fixture(scope="module")
def server():
    with classroom.Server() as s:
        yield s


@pytest.fixture(scope="module")
def alone(server):
    """One student, then a second with the same link once the first has finished."""
    first = classroom.run(PAGE, 1, query=f"{QUERY}&seed=11", server=server)
    again = classroom.run(PAGE, 1, query=f"{QUERY}&seed=11", server=server)
    return first, again


def test_one_student_finishes_and_the_same_link_later_gets_the_same_numbers_in_one_frame(alone):
    first, again = alone
    assert first["ok"] == again["ok"] == 1, (first["errors"], again["errors"])
    assert first["visits"][0]["final"] and first["visits"][0]["final"] == again["visits"][0]["final"]
    # The finished run came from the shared results: drawn once, never more than the trainer drew it.
    assert again["max_chart_updates"] <= first["max_chart_updates"]


def test_different_seeds_train_separately_and_frames_stay_bounded(server, alone):
    per_frame = alone[1]["max_chart_updates"]  # a finished run draws every chart exactly once
    result = classroom.run(PAGE, 3, seeds="distinct", query=QUERY, server=server)
    assert result["ok"] == 3, result["errors"]
    finals = {v["final"] for v in result["visits"]}
    assert len(finals) == 3 and alone[0]["visits"][0]["final"] not in finals  # seeds 1, 2, 3 ≠ seed 11
    assert result["max_chart_updates"] <= (MAX_FRAMES + 1) * per_frame


def test_the_same_link_opened_together_is_trained_once_and_shows_the_same_numbers(server, alone):
    per_frame = alone[1]["max_chart_updates"]
    result = classroom.run(PAGE, 3, query=f"{QUERY}&seed=12", server=server)
    assert result["ok"] == 3, result["errors"]
    assert result["distinct_final_tables"] == 1
    # One of them trained it; the two others followed that run (or got it finished), never training.
    assert result["sessions_that_trained"] == 1, [v["states"] for v in result["visits"]]
    assert all(set(v["states"]) <= {FOLLOWING, "finished"} for v in result["visits"] if not v["trained"])
    # Following draws the leader's snapshots, paced as the leader's own frames are: no more frames.
    assert result["max_chart_updates"] <= (MAX_FRAMES + 1) * per_frame


def test_students_who_leave_mid_run_leave_no_thread_spinning(server, alone):
    result = classroom.abandon(PAGE, students=5, after=0.3, watch=10, query="predict=0&steps=400", server=server)
    last = result["samples"][-3:]
    assert all(s["threads"] <= result["threads_before"] + 2 for s in last), result
    assert all(s["cpu_busy"] < 0.2 for s in last), result  # seconds of CPU per second: idle
