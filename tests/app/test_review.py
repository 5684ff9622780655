"""The review deck: every interview question of every page is a card, every card's link opens its
page, the spaced-repetition order brings back what you did not know, and progress round-trips."""

from __future__ import annotations

import re

import pytest

from dlcore.catalog import all_concepts
from tests.support.helpers import ROOT, app_at
from ui.deck import Progress, all_cards, cards_of, mock_interview

REVIEW = "pages/review.py"


def questions_in_prose(slug: str) -> list[str]:
    """The interview corner's question bullets, read independently of ui.deck."""
    text = (ROOT / "assets" / "pages" / f"{slug}.md").read_text(encoding="utf-8")
    corner = text.split("## Interview corner", 1)[1].split("\n## ", 1)[0]
    return [m.strip() for m in re.findall(r"^- \*([^*]+?)\*", corner, flags=re.M)]


@pytest.mark.parametrize("concept", all_concepts(), ids=lambda c: c.slug)
def test_the_deck_holds_every_interview_question_of_the_page(concept):
    expected = questions_in_prose(concept.slug)
    assert expected, f"{concept.slug} asks no follow-up questions"
    cards = cards_of(concept)
    assert [c.question for c in cards] == expected
    assert all(c.answer for c in cards), "a question without an answer"


def test_cards_link_to_pages_that_open_without_error():
    for page in sorted({c.concept.page for c in all_cards()})[:3]:  # the rest: tests/app/test_app.py
        assert not app_at(page).exception


def test_a_card_not_known_comes_back_sooner_than_one_known():
    cards = all_cards()[:6]
    p = Progress()
    first = p.next_card(cards)
    assert first == cards[0]
    p.answer(first, knew=True)  # due four turns later
    second = p.next_card(cards)
    p.answer(second, knew=False)  # due after the next card
    order = []
    for _ in range(6):
        card = p.next_card(cards)
        order.append(card)
        p.answer(card, knew=True)
    assert order[1] == second  # one card later, the one not known is back
    assert order.index(first) == 4  # the known one four turns after it was answered


def test_progress_round_trips_and_bad_files_get_a_sentence():
    p = Progress()
    cards = all_cards()
    p.answer(cards[0], knew=True)
    p.answer(cards[1], knew=False)
    again = Progress.from_json(p.to_json())
    assert (again.turn, again.boxes, again.due) == (p.turn, p.boxes, p.due)
    for junk in (b"\xff\xfe junk", b"[1, 2]", b'{"version": 1, "turn": 1, "boxes": {"x": -1}, "due": {}}', b""):
        with pytest.raises(ValueError, match="progress file"):
            Progress.from_json(junk)


def test_a_mock_interview_is_the_same_questions_for_the_same_seed():
    cards = all_cards()
    assert mock_interview(cards, 5, 7) == mock_interview(cards, 5, 7)
    assert mock_interview(cards, 5, 7) != mock_interview(cards, 5, 8)
    assert len({c.id for c in mock_interview(cards, 5, 7)}) == 5


def test_the_page_reveals_an_answer_and_counts_what_you_knew():
    at = app_at(REVIEW)
    assert not at.exception
    first = at.markdown[-1].value if at.markdown else ""
    at.button(key="deck.show").click().run()
    assert not at.exception
    at.button(key="deck.knew").click().run()
    assert not at.exception
    assert any("1 known · 1 answered" in c.value for c in at.caption), [c.value for c in at.caption]
    assert first  # a question was on screen


def test_the_mock_interview_reveals_the_answers_at_the_end():
    at = app_at(REVIEW)
    at.radio(key="deck.mode").set_value("Mock interview").run()
    at.slider(key="deck.n").set_value(3).run()
    for _ in range(3):
        at.button(key="deck.next").click().run()
        assert not at.exception
    assert any("That was the interview" in s.value for s in at.success)
    assert len(at.expander) >= 3
