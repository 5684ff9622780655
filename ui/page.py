"""The common layout of a concept page, with its prose read from ``assets/pages/<page>.md``.

A prose file is markdown split by level-2 headings; the page shows the sections by name:

    ## Idea            a few sentences: what the concept is
    ## What to notice  what the live experiment shows
    ## Interview corner  key facts and the usual follow-up questions
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import streamlit as st

from dlcore.catalog import concept
from ui import frame
from ui.controls import Controls

PROSE_DIR = Path(__file__).resolve().parent.parent / "assets" / "pages"


@cache
def prose(page: str) -> dict[str, str]:
    """``{section title: markdown}`` of ``assets/pages/<page>.md``."""
    text = (PROSE_DIR / f"{page}.md").read_text(encoding="utf-8")
    parts = re.split(r"^## +(.+)$", text, flags=re.MULTILINE)
    return {title.strip(): body.strip() for title, body in zip(parts[1::2], parts[2::2])}


def begin(slug: str) -> Controls:
    """The top of a concept page: its title (from the catalog) and its idea; returns the page's
    URL-bound controls, keyed by the concept's prefix."""
    frame.inside()
    c = concept(slug)
    header(slug, c.title)
    return Controls(c.prefix)


def header(page: str, title: str) -> None:
    st.title(title)
    st.markdown(prose(page)["Idea"])


def section(page: str, name: str, expanded: bool | None = None) -> None:
    """A prose section; ``expanded`` puts it in an expander (open or closed)."""
    body = prose(page)[name]
    if expanded is None:
        st.subheader(name)
        st.markdown(body)
    else:
        with st.expander(name, expanded=expanded):
            st.markdown(body)


def footer(page: str) -> None:
    """What to notice, then the interview corner: the same close on every page."""
    section(page, "What to notice")
    st.subheader("🎤 Interview corner")
    st.markdown(prose(page)["Interview corner"])
