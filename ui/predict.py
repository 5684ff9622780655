"""Predict, then reveal: one question about the live experiment's outcome, asked before it trains,
and checked against what this run measured when it finishes — never against a stored answer key.

    QUESTION = predict.Question.which("Which network keeps more accuracy on shifted digits?",
                                      measure=lambda run: {n: acc(t) for n, t in run.trainers.items()},
                                      label="accuracy, digits shifted 2 px")
    ...
    guess = predict.ask(c, QUESTION, choices=["CNN", "MLP"])   # before c.publish(): the toggle and the answer
    c.publish()
    run = live.session(...)
    predict.hold(guess, run)                                   # held at step 0 until answered (or skipped)
    live.play(run, draw)
    predict.reveal(guess, run)                                 # ✅ / ❌ with the measured numbers

It is on by default, for the whole session: a page asks its question before it trains. The sidebar's
toggle (``sidebar_toggle``, drawn by the frame) turns it off for free exploration on every page; a
link carries the choice (``predict=0`` / ``predict=1``) and may pre-set the answer (``guess=…``), so a
teacher's link can open straight onto a trained run or onto a question with the answer filled in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import streamlit as st

from ui.controls import Controls, from_link, parse_like
from ui.live import LiveRun, rejoin

UNANSWERED, SKIP = "", "skip"  # the answer control's two values that are not a choice
ON, LINK = "predict", "_predict.link"  # session state: the mode, and the last link value it was set from
LABEL = "🔮 Predict before it trains"
WAITING = "Answer (or skip) to start training."
CHECKED = ("The verdict is checked against this run's own measurements, not an answer key: change the settings "
           "and the right answer may change.")


@dataclass(frozen=True)
class Question:
    """One question about a run's outcome, answered by the run's measurements."""

    text: str  # "Which network keeps more accuracy on shifted digits?"
    choices: tuple[str, ...]  # the page's variants (run labels or values); a page may pass its own to ``ask``
    answer: Callable[[LiveRun], str | None]  # the right choice, from the finished run (None: a tie, no verdict)
    evidence: Callable[[LiveRun], dict[str, float]]  # the measured numbers behind the verdict, by name
    label: str = ""  # what the numbers are: "validation accuracy"
    digits: int = 3  # significant digits the numbers are shown with
    may_diverge: tuple[str, ...] = ()  # runs whose blow-up is part of the answer (any other: no verdict)

    @classmethod
    def which(cls, text: str, measure: Callable[[LiveRun], dict[str, float]], highest: bool = True,
              choices: Sequence[str] = (), tie: str | None = None, within: float = 0.0, **kw) -> Question:
        """"Which variant ends highest (lowest)?": the right choice is the one whose measured number
        ``measure(run)[choice]`` is largest (smallest). When the best two are within ``within`` of each
        other, the right choice is ``tie`` ("about the same"), or there is no verdict without one."""

        def answer(run: LiveRun) -> str | None:
            ranked = sorted(measure(run).items(), key=lambda item: item[1], reverse=highest)
            if len(ranked) > 1 and abs(ranked[0][1] - ranked[1][1]) <= within:
                return tie
            return ranked[0][0]

        return cls(text, tuple(choices) + ((tie,) if tie else ()), answer, measure, **kw)


    @classmethod
    def how_much(cls, text: str, value: Callable[[LiveRun], float], bins: dict[str, float], name: str,
                 evidence: Callable[[LiveRun], dict[str, float]] = lambda run: {}, **kw) -> Question:
        """"How much …?": the right choice is the first bin whose upper edge the measured ``value(run)``
        stays below (``bins`` in increasing order, the last edge ``math.inf``); ``name`` labels that value
        among the numbers shown."""

        def answer(run: LiveRun) -> str | None:
            v = value(run)
            return next((choice for choice, upper in bins.items() if v < upper), None)

        return cls(text, tuple(bins), answer, lambda run: evidence(run) | {name: value(run)}, **kw)


@dataclass(frozen=True)
class Guess:
    """The learner's side of the question on this page, as the controls hold it."""

    question: Question | None
    on: bool = False  # the toggle: predict before it trains
    value: str = UNANSWERED  # a choice, SKIP, or UNANSWERED
    choices: tuple[str, ...] = field(default=())

    @property
    def waiting(self) -> bool:
        return self.on and self.value == UNANSWERED

    @property
    def answered(self) -> bool:
        return self.on and self.value not in (UNANSWERED, SKIP)


def ask(c: Controls, question: Question | None, choices: Sequence[str] | None = None) -> Guess:
    """The toggle and, while it is on, the question with its answer control (both in the URL).
    Call before ``c.publish()``. ``question=None`` (a setting with nothing to compare) asks nothing."""
    if question is None:
        return Guess(None)
    choices = tuple(choices if choices is not None else question.choices)
    on = is_on()
    value = st.session_state[LINK] = "1" if on else "0"  # the link carries the mode
    if st.query_params.get(ON) != value:  # as Controls.publish: write the address bar only on a change
        st.query_params[ON] = value
    if not on:
        return Guess(question, False, UNANSWERED, choices)
    options = [UNANSWERED, *choices, SKIP]
    for key in (c.key("guess"), f"_keep.{c.key('guess')}"):  # the widget's value, and the one kept for it
        if st.session_state.get(key, UNANSWERED) not in options:  # the settings changed the choices
            st.session_state[key] = UNANSWERED
    with st.container(border=True):
        value = c.select("guess", f"**{question.text}**", options, default=UNANSWERED,
                         format_func=lambda v: {UNANSWERED: "— your prediction —", SKIP: "skip the question"}.get(v, v))
        st.caption(f"To explore without questions, turn off **{LABEL}** in the sidebar.")
    return Guess(question, True, value, choices)


def is_on() -> bool:
    """Whether this session predicts before training: on unless turned off, in the sidebar or by a link.
    A link's ``predict`` counts when it is new (a link just opened), not on every rerun, so the toggle
    is never overruled by the value the page itself wrote into the address bar."""
    raw = st.query_params.get(ON)
    if raw is not None and raw != st.session_state.get(LINK):
        st.session_state[LINK] = raw
        on = from_link(ON, raw, lambda text: parse_like(True, text))
        if on is not None:
            st.session_state[ON] = on
    return bool(st.session_state.setdefault(ON, True))


def sidebar_toggle() -> None:
    """The session-wide switch, in the frame's sidebar: kept across pages, like projector mode."""
    st.session_state["predict_toggle"] = is_on()
    st.toggle(LABEL, key="predict_toggle",
              help="On: each page asks what you expect before its network trains, then checks your answer "
                   "against what the run measured. Off: the pages train at once, for free exploration.",
              on_change=lambda: st.session_state.update({ON: st.session_state["predict_toggle"]}))


def hold(guess: Guess, run: LiveRun) -> None:
    """Keep the run at step 0 while the question waits for an answer; start it, once, when it comes."""
    started, held = f"_predict.{run.key}", f"_predict.held.{run.key}"
    if not guess.on:
        if st.session_state.pop(held, None) == run.config_hash:  # turned off while it waited: play now
            run.playing = not run.done
            rejoin(run)
        return
    if guess.waiting:
        st.session_state.pop(started, None)
        st.session_state[held] = run.config_hash
        if run.step > 0 or run.error:  # trained before the question was asked (or shared): from the start
            run.restart()
        run.playing = False
        run.stop_leading()  # a shared run: sessions waiting for it train their own instead of waiting on this one
        st.info(WAITING, icon="🔮")
    elif st.session_state.get(started) != run.config_hash:  # the answer just arrived: play, exactly once
        st.session_state[started] = run.config_hash
        st.session_state.pop(held, None)
        run.playing = not run.done
        rejoin(run)  # a shared run: the one the class is training (or trained) on this link, if any


def verdict(question: Question, run: LiveRun, value: str) -> tuple[str, dict[str, float]]:
    """("right" | "wrong" | why there is no verdict, the measured numbers) for a finished run."""
    diverged = [f"**{name}** {t.message}" for name, t in run.trainers.items()
                if t.diverged and name not in question.may_diverge]
    if run.error:
        return f"This run stopped early ({run.error}), so it cannot answer the question.", {}
    if diverged:
        return "No verdict: " + "; ".join(diverged) + " — a blown-up run measures nothing to compare.", {}
    numbers = question.evidence(run)
    unusable = [name for name, v in numbers.items() if not math.isfinite(v)]
    if unusable:
        return f"No verdict: {', '.join(unusable)} ended without a usable number.", numbers
    right = question.answer(run)
    if right is None:
        return "No verdict: the measurements are tied, so no single choice is right.", numbers
    return ("right" if value == right else "wrong"), numbers


def reveal(guess: Guess, run: LiveRun) -> None:
    """Under the finished run: ✅ Right / ❌ Not this time, with the numbers it was decided on."""
    if not guess.answered:
        return
    if not run.done:
        st.caption(f"🔮 Your prediction: **{guess.value}**. The verdict comes when the run finishes.")
        return
    outcome, numbers = verdict(guess.question, run, guess.value)
    label = f" ({guess.question.label})" if guess.question.label else ""
    shown = " · ".join(f"{name}: **{v:.{guess.question.digits}g}**" for name, v in numbers.items())
    measured = f"Measured{label}: {shown}." if numbers else ""
    if outcome == "right":
        st.success(f"Right — you predicted **{guess.value}**. {measured}", icon="✅")
    elif outcome == "wrong":
        right = guess.question.answer(run)
        st.warning(f"Not this time — you predicted **{guess.value}**, this run says **{right}**. {measured}", icon="❌")
    else:
        st.info(f"{outcome} {measured}")
    st.caption(CHECKED)
