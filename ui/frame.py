"""The frame every page runs inside (``app.py``: navigation, projector and predict toggles, wide layout).

Streamlit runs a session's ``pages/*.py`` directly, in its older multipage mode and without ``app.py``,
until some session on the server has called ``st.navigation``. On a freshly started server, a class
opening the teacher's deep link (``/dropout?seed=3``) would get pages without their frame: file names
for a sidebar, no sections, no toggles, a narrow layout. ``inside()``, at the top of every page, ends
that mode for the whole server and reruns the session through the frame, onto the same page.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

FRAMED = "_framed"  # session state: the frame has run in this session


def mark() -> None:
    """Called by the frame on every run."""
    st.session_state[FRAMED] = True


def inside() -> None:
    """Rerun through the frame if this page was run without it."""
    if not st.session_state.get(FRAMED):
        PagesManager.uses_pages_directory = False  # Streamlit's flag for the older mode, server-wide
        st.rerun()
