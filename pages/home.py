"""Home: what the app is, the map of concepts, and where training runs."""

import streamlit as st

from dlcore.catalog import SECTIONS
from ui.page import prose
from ui.runtime import device_label

st.title("🧠 DL Fundamentals Lab")
st.markdown(prose("home")["Idea"])

for section, concepts in SECTIONS.items():
    st.subheader(section)
    for concept in concepts:
        st.page_link(concept.page, label=f"**{concept.title}** — {concept.summary}", icon=concept.icon)

st.subheader("How to use it")
st.markdown(prose("home")["How to use it"])
st.caption(f"Training runs on: {device_label()}")
