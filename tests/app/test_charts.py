"""The shared chart helpers of ``ui.charts`` that per-frame figures rely on: a grid laid out as
``make_subplots`` lays it out, and the house layout merged as ``update_layout`` merges it."""

import json

import pytest
from plotly.subplots import make_subplots

from ui import charts

GRIDS = [
    dict(rows=3, cols=2, vertical_spacing=0.04, horizontal_spacing=0.02, column_titles=["step 0", "step 40"],
         row_titles=["head 1", "head 2", "head 3"]),  # Transformers
    dict(rows=2, cols=4, subplot_titles=[f"layer {i} — step 0" for i in range(8)], horizontal_spacing=0.02,
         vertical_spacing=0.09),  # Representation learning
    dict(rows=1, cols=2, horizontal_spacing=0.08, subplot_titles=["AE<br>5-NN 0.91", "PCA"]),  # Autoencoders
    dict(rows=1, cols=3, subplot_titles=["RNN", "LSTM", "GRU"], horizontal_spacing=0.05),  # Recurrent networks
    dict(rows=2, cols=3), dict(rows=2, cols=2, subplot_titles=["a", "b", None, "d"]),  # the defaults, a gap
]


@pytest.mark.parametrize("options", GRIDS)
def test_a_grid_layout_is_the_layout_make_subplots_computes(options):
    """Every domain and title position to the last bit (the template make_subplots adds is left out:
    Streamlit's theme replaces it, and a screenshot of the page is the same pixel for pixel)."""
    expected = json.loads(make_subplots(**options).layout.to_json())
    expected.pop("template")
    expected.setdefault("annotations", [])
    assert json.loads(json.dumps(charts.grid_layout(**options))) == expected


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
