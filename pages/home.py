"""Home: what the app is, what deep learning is (a linear model vs a small deep network, trained
live), the map of concepts grouped as the syllabus is, and where training runs."""

import streamlit as st

from dlcore import boundary, stable_hash
from dlcore.catalog import SECTIONS
from dlcore.labs import what_is_dl as wd
from ui import charts, frame, live, upload
from ui.controls import Controls, checked
from ui.page import prose
from ui.runtime import device, device_label

frame.inside()
st.title("🧠 DL Fundamentals Lab")
st.markdown(prose("home")["Idea"])

# --- What deep learning is, live ----------------------------------------------------------------
st.subheader("What deep learning is, in one picture")
st.markdown(prose("home")["What deep learning is"])
c = Controls("home")
with st.columns([1, 3])[0]:
    data_name = c.select("data", "2-D data", list(wd.TOY_SETS), default=wd.WhatIsDLConfig().data)
own = upload.own_data(c.page, sample=data_name, forms=("2d",))
if own is not None:
    st.info(f"Both models train on your file instead of the {data_name} set: can a straight line separate "
            "your points, or does it take the network's bent boundary?")
cfg = checked(lambda: wd.WhatIsDLConfig(data=data_name, upload=own))
# One run for everyone on the same link (the first page a class opens): the config holds the data set and an
# upload's content digest, all the run depends on.
run = live.session("home.run", stable_hash(cfg), lambda: wd.trainers(cfg, device()), shared=True)


def draw(run: live.LiveRun) -> None:
    grids = {name: boundary.probability_grid(t, n=50) for name, t in run.trainers.items()}
    first = next(iter(run.trainers.values()))
    points = (first.dataset.x_train.cpu().numpy(), first.dataset.y_train.cpu().numpy())
    charts.show(charts.decision_boundaries(grids, points), f"home.boundary.{run.frame}")
    st.caption(" · ".join(f"**{name}**: validation accuracy {t.recorder.records[-1].val_acc:.0%}"
                          for name, t in run.trainers.items()))


live.play(run, draw, step_size=50)

# --- The map of the app ---------------------------------------------------------------------------
for section, concepts in SECTIONS.items():
    st.subheader(section)
    for concept in concepts:
        st.page_link(concept.page, label=f"**{concept.title}** — {concept.summary}", icon=concept.icon)

st.subheader("How to use it")
st.markdown(prose("home")["How to use it"])
runs, size = live.results().stats()
st.caption(f"Training runs on: {device_label()} · results cache: {runs} finished runs shared by everyone on this "
           f"server, {size / 2**20:.1f} MiB")
