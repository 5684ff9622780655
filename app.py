"""DL Fundamentals Lab: the frame. Registers the pages, grouped by section, and runs the chosen one."""

import streamlit as st

from dlcore.catalog import SECTIONS
from ui import frame, predict, runtime

st.set_page_config(page_title="DL Fundamentals Lab", page_icon="🧠", layout="wide")
runtime.settle()  # once per server: the imports' objects leave the garbage collector's scans
frame.mark()

home = st.Page("pages/home.py", title="Home", icon="🏠", default=True)
review = st.Page("pages/review.py", title="Review deck", icon="🃏")
pages = {"Start": [home, review]} | {
    section: [st.Page(c.page, title=c.title, icon=c.icon) for c in concepts] for section, concepts in SECTIONS.items()
}
# Widget state is dropped when a page stops drawing the widget; "projector" is plain state kept
# for the whole session, and the toggle is re-seeded from it on every page.
st.session_state.setdefault("projector", False)
st.session_state["projector_toggle"] = st.session_state["projector"]
with st.sidebar:
    st.toggle("📽️ Projector mode", key="projector_toggle", help="Larger text and charts, for the back of the room.",
              on_change=lambda: st.session_state.update(projector=st.session_state["projector_toggle"]))
    predict.sidebar_toggle()
if st.session_state.get("projector"):
    st.html("<style>html, .stMarkdown p, .stMarkdown li, .stMarkdown td { font-size: 1.25rem; }</style>")
st.navigation(pages, expanded=True).run()  # every page listed: no "View more" fold
