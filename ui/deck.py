"""The review deck: every interview question of every page as a card, in a spaced-repetition order.

Cards come from the pages' own prose: in each concept's ``## Interview corner``, every bullet
that starts with an italic question (``- *Why …?* answer``) is a card, so the deck and the pages
can never disagree. The order is a small Leitner scheme kept in the session: a card you knew
moves up a box and comes back later (after 4, 8, 16 … turns); one you did not comes back after
the next card. Progress is plain data (``Progress``) that round-trips through JSON, since
the server keeps nothing between visits.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field

from dlcore.catalog import Concept, all_concepts
from ui.page import prose

QUESTION = re.compile(r"^- \*(?P<q>[^*]+?)\*\s*(?P<a>.*)$")


@dataclass(frozen=True)
class Card:
    id: str  # "<slug>:<n>", stable while the page's questions keep their order
    concept: Concept
    question: str
    answer: str


def cards_of(concept: Concept) -> list[Card]:
    """The question bullets of one page's interview corner, each with its answer."""
    corner = prose(concept.slug).get("Interview corner", "")
    out, current = [], None
    for line in corner.splitlines() + [""]:
        match = QUESTION.match(line)
        if match or not line.startswith("  "):  # a new bullet, or the end of the current one
            if current is not None:
                out.append(current)
                current = None
        if match:
            current = [match["q"].strip(), match["a"].strip()]
        elif current is not None:
            current[1] = f"{current[1]} {line.strip()}".strip()
    return [Card(f"{concept.slug}:{i}", concept, q, a) for i, (q, a) in enumerate(out)]


def all_cards() -> list[Card]:
    return [card for concept in all_concepts() for card in cards_of(concept)]


@dataclass
class Progress:
    """Where each card stands: its box (how often known in a row) and the turn it is due."""

    turn: int = 0
    boxes: dict[str, int] = field(default_factory=dict)
    due: dict[str, int] = field(default_factory=dict)

    def next_card(self, cards: list[Card]) -> Card | None:
        """The card due first (new cards in page order, after the ones already due)."""
        if not cards:
            return None
        return min(enumerate(cards),
                   key=lambda ic: (self.due.get(ic[1].id, self.turn), self.boxes.get(ic[1].id, 0), ic[0]))[1]

    def answer(self, card: Card, knew: bool) -> None:
        self.turn += 1
        box = self.boxes.get(card.id, 0) + 1 if knew else 0
        self.boxes[card.id] = box
        self.due[card.id] = self.turn + (2 ** (box + 1) if knew else 1)

    def known(self) -> int:
        return sum(1 for b in self.boxes.values() if b > 0)

    def to_json(self) -> str:
        return json.dumps({"version": 1, "turn": self.turn, "boxes": self.boxes, "due": self.due}, indent=1)

    @classmethod
    def from_json(cls, text: str | bytes) -> Progress:
        """Progress from a file saved by ``to_json``; a ValueError with a sentence otherwise."""
        try:
            data = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError("this file is not a progress file saved by the review deck (not JSON)") from None
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError("this file is not a progress file saved by the review deck")
        boxes, due, turn = data.get("boxes"), data.get("due"), data.get("turn")
        ok = (isinstance(turn, int) and turn >= 0 and isinstance(boxes, dict) and isinstance(due, dict)
              and all(isinstance(k, str) and isinstance(v, int) and v >= 0 for d in (boxes, due) for k, v in d.items()))
        if not ok:
            raise ValueError("this progress file is damaged: its card entries are not whole numbers")
        known = {c.id for c in all_cards()}
        return cls(turn, {k: v for k, v in boxes.items() if k in known}, {k: v for k, v in due.items() if k in known})


def mock_interview(cards: list[Card], n: int, seed: int) -> list[Card]:
    """``n`` cards drawn at random (without repeats) by ``seed``."""
    return random.Random(seed).sample(cards, min(n, len(cards)))
