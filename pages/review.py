"""Review deck: every interview question of every page as a card, with spaced repetition, a mock
interview, and progress you can take with you."""

import streamlit as st

from dlcore.catalog import all_concepts
from ui import frame
from ui.deck import Progress, all_cards, mock_interview

frame.inside()
st.title("🃏 Review deck")
st.markdown("Every follow-up question from the pages' interview corners, one card at a time. Say the "
            "answer out loud, then reveal it. Cards you knew come back later, the others soon. Each card "
            "links to the live demo that answers it.")

CARDS = all_cards()
titles = {c.slug: c.title for c in all_concepts()}
st.session_state.setdefault("deck.progress", Progress())
progress: Progress = st.session_state["deck.progress"]

mode = st.radio("Mode", ["Practice", "Mock interview"], horizontal=True, key="deck.mode")
chosen = st.multiselect("Pages", list(titles), format_func=titles.get, key="deck.pages",
                        placeholder="All pages")
cards = [c for c in CARDS if not chosen or c.concept.slug in chosen]


def demo_link(card) -> None:
    st.page_link(card.concept.page, label=f"Open the live demo: {card.concept.title}", icon=card.concept.icon)


if mode == "Practice":
    card = progress.next_card(cards)
    st.caption(f"{len(cards)} cards · {progress.known()} known · {progress.turn} answered this session")
    if card is None:
        st.info("No cards for these pages.")
    else:
        with st.container(border=True):
            st.caption(card.concept.title)
            st.markdown(f"### {card.question}")
            if st.session_state.get("deck.shown") == card.id:
                st.markdown(card.answer)
                demo_link(card)
                cols = st.columns(2)
                if cols[0].button("✅ Knew it", key="deck.knew", width="stretch"):
                    progress.answer(card, knew=True)
                    st.rerun()
                if cols[1].button("🔁 Not yet", key="deck.again", width="stretch"):
                    progress.answer(card, knew=False)
                    st.rerun()
            elif st.button("Show the answer", key="deck.show", type="primary"):
                st.session_state["deck.shown"] = card.id
                st.rerun()
else:
    cols = st.columns(2)
    n = cols[0].slider("Questions", 3, 15, 5, key="deck.n")
    seed = cols[1].number_input("Seed (same seed, same questions)", 0, 9999, 0, key="deck.seed")
    interview = mock_interview(cards, n, int(seed))
    pos = st.session_state.get("deck.pos", 0)
    if pos < len(interview):
        st.progress(pos / len(interview), text=f"question {pos + 1} of {len(interview)}")
        with st.container(border=True):
            st.caption(interview[pos].concept.title)
            st.markdown(f"### {interview[pos].question}")
        if st.button("Next question", key="deck.next", type="primary"):
            st.session_state["deck.pos"] = pos + 1
            st.rerun()
    else:
        st.success("That was the interview. The answers:")
        for i, card in enumerate(interview, 1):
            with st.expander(f"{i}. {card.question}"):
                st.markdown(card.answer)
                demo_link(card)
        if st.button("Start again", key="deck.restart"):
            st.session_state["deck.pos"] = 0
            st.rerun()

st.subheader("Your progress")
st.caption("The server keeps nothing between visits: download your progress and upload it next time.")
cols = st.columns(2)
cols[0].download_button("⬇ Download progress (.json)", progress.to_json(), file_name="review-progress.json",
                        mime="application/json", key="deck.download")
upload = cols[1].file_uploader("Upload progress", type=["json"], key="deck.upload", max_upload_size=1)
if upload is not None and st.session_state.get("deck.loaded") != upload.file_id:
    try:
        st.session_state["deck.progress"] = Progress.from_json(upload.getvalue())
        st.session_state["deck.loaded"] = upload.file_id
        st.rerun()
    except ValueError as err:
        st.error(f"Could not load it: {err}.")
