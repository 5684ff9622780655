"""The shared chart helpers of ``ui.charts`` that per-frame figures rely on: a grid laid out as
``make_subplots`` lays it out, computed once per shape, and the house layout merged as
``update_layout`` merges it."""

import json

from plotly.subplots import make_subplots

from ui import charts


def test_a_grid_layout_is_make_subplots_layout_and_frame_titles_do_not_recompute_it():
    titles = dict(column_titles=["step 0", "step 40"], row_titles=["head 1", "head 2", "head 3"])
    expected = json.loads(make_subplots(rows=3, cols=2, vertical_spacing=0.04, **titles).layout.to_json())
    charts._grid_json.cache_clear()
    assert charts.grid_layout(3, 2, vertical_spacing=0.04, **titles) == expected
    later = charts.grid_layout(3, 2, vertical_spacing=0.04, column_titles=["step 80", "step 120"],
                               row_titles=titles["row_titles"])
    assert charts._grid_json.cache_info().hits == 1  # the next frame's step numbers: the same grid
    assert [a["text"] for a in later["annotations"]][:2] == ["step 80", "step 120"]
    later["xaxis"]["showticklabels"] = False  # a fresh copy each call: changing one changes no other
    assert "showticklabels" not in charts.grid_layout(3, 2, vertical_spacing=0.04, **titles)["xaxis"]


def test_a_cell_names_the_axes_make_subplots_gives_that_panel():
    fig = make_subplots(rows=2, cols=3)
    fig.add_scatter(x=[0], y=[0], row=2, col=2)
    panel = {"xaxis": fig.data[0].xaxis, "yaxis": fig.data[0].yaxis}
    assert charts.cell(2, 2, 3) == panel == {"xaxis": "x5", "yaxis": "y5"}
    assert charts.cell(1, 1, 3) == {"xaxis": "x", "yaxis": "y"}


def test_a_margin_or_legend_given_to_base_layout_is_merged_into_the_house_one():
    layout = charts.base_layout("t", margin=dict(b=120), legend=dict(orientation="h"))
    assert layout["margin"] == dict(l=60, r=20, t=60, b=120)
    assert layout["legend"]["orientation"] == "h" and "font" in layout["legend"]
