"""The SVG bar chart is a pure function: one bar per row, scaled to the largest value (or a given maximum), escaped."""

import re
from decimal import Decimal

from staffdesk.charts import LABEL_WIDTH, VALUE_WIDTH, WIDTH, bar_chart

PLOT = WIDTH - LABEL_WIDTH - VALUE_WIDTH


def _widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect class="bar" [^>]*width="([\d.]+)"', svg)]


def test_it_draws_one_bar_per_row_in_order():
    svg = bar_chart([("a", 1), ("b", 2), ("c", 4)], title="t")

    assert svg.count('<rect class="bar"') == 3
    assert _widths(svg) == [PLOT / 4, PLOT / 2, PLOT]
    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_it_scales_to_a_given_maximum_and_never_past_it():
    svg = bar_chart([("half", Decimal("50.0")), ("over", 150)], title="t", max_value=100, suffix="%")

    assert _widths(svg) == [PLOT / 2, PLOT]
    assert "50.0%" in svg


def test_a_missing_value_gets_an_empty_bar_and_a_dash():
    svg = bar_chart([("none", None), ("zero", 0)], title="t")

    assert _widths(svg) == [0.0, 0.0]
    assert "—" in svg


def test_an_empty_chart_has_no_bars_and_says_so():
    svg = bar_chart([], title="t", empty_text="No data")

    assert '<rect class="bar"' not in svg and "No data" in svg


def test_labels_and_title_are_escaped_and_long_labels_shortened():
    long = "가" * 40
    svg = bar_chart([("<script>alert(1)</script>", 1), (long, 2)], title='A & "B"')

    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "A &amp; &quot;B&quot;" in svg
    assert f"<title>{long}: 2</title>" in svg and "…" in svg
