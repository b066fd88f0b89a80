"""Chart geometry (app/services/charts.py) and its SVG (templates/_macros/charts.html):
rounded ticks, proportional bars, months without money drawn as zero, well-formed SVG."""

import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest
from flask import current_app

from app.services import charts, money
from app.services.ledger import Group

SVG = "{http://www.w3.org/2000/svg}"


def group(key, label=None, pledged=0, collected=0, transferred=0, confirmed=0, count=1):
    return Group(key, label or key, {"pledged": pledged, "collected": collected,
                                     "transferred": transferred, "confirmed": confirmed},
                 count, 0, 0)


def render(chart) -> ET.Element:
    """The chart's <svg> element, parsed as XML (fails on anything malformed)."""
    macros = current_app.jinja_env.get_template("_macros/charts.html").module
    html = str(macros.chart_svg(chart))
    svg = html[html.index("<svg"):html.index("</svg>") + len("</svg>")]
    return ET.fromstring(svg)  # noqa: S314 (our own markup, parsed to prove it well-formed)


# --- ticks ------------------------------------------------------------------------------


def test_all_zero_gives_an_axis_of_one_major_unit():
    assert charts.tick_values(0, "EUR") == [0, 100]
    assert charts.tick_values(0, "JPY") == [0, 1]
    assert charts.tick_values(0, "KWD") == [0, 1000]


@pytest.mark.parametrize(("largest", "expected"), [
    (1, [0, 1]),
    (3, [0, 1, 2, 3]),
    (7, [0, 2, 4, 6, 8]),
    (100, [0, 20, 40, 60, 80, 100]),
    (123_456, [0, 50_000, 100_000, 150_000]),
    (99_999, [0, 20_000, 40_000, 60_000, 80_000, 100_000]),
])
def test_ticks_are_round_steps_from_zero_covering_the_largest_value(largest, expected):
    assert charts.tick_values(largest, "EUR") == expected


@pytest.mark.parametrize("largest", [1, 2, 9, 11, 999, 10**6 + 1, 7 * 10**12, 10**15 - 1,
                                     10**18])
def test_ticks_stay_few_round_and_integer_for_any_size(largest):
    ticks = charts.tick_values(largest, "EUR")
    step = ticks[1]
    assert all(isinstance(t, int) for t in ticks)
    assert ticks[0] == 0 and ticks[-1] >= largest > ticks[-2]
    assert 2 <= len(ticks) <= 7
    assert all(b - a == step for a, b in pairwise(ticks))
    assert str(step).rstrip("0") in ("1", "2", "5")


@pytest.mark.parametrize(("minor", "label"), [
    (0, "€0"), (5, "€0.05"), (25_000, "€250"), (150_000, "€1.5K"), (200_000_000, "€2M"),
])
def test_tick_labels_are_short(minor, label):
    assert charts.tick_label(minor, "EUR") == label


# --- months -----------------------------------------------------------------------------


def test_months_without_money_are_drawn_as_zero():
    chart = charts.month_chart([group("2025-11", collected=500), group("2026-02", confirmed=100)],
                               "EUR")
    assert [bar.key for bar in chart.bars] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    gap = chart.bars[1]
    assert gap.total_minor == 0 and gap.height == 0 and gap.segments == ()
    assert gap.label == "December 2025"


def test_the_month_table_has_the_same_months_as_the_chart():
    rows = charts.fill_month_groups([group("2026-01", collected=5, count=2),
                                     group("2026-03", pledged=7)])
    assert [(r.key, r.label, r.count, r.raised_minor) for r in rows] == [
        ("2026-01", "January 2026", 2, 5), ("2026-02", "February 2026", 0, 0),
        ("2026-03", "March 2026", 1, 0)]
    assert charts.fill_month_groups([]) == []


def test_column_heights_are_proportional_to_the_money():
    chart = charts.month_chart([group("2026-01", collected=10_000),
                                group("2026-02", collected=5_000, confirmed=15_000)], "EUR")
    january, february = chart.bars
    assert february.height == pytest.approx(2 * january.height)
    # The segments fill the column exactly, from the baseline up, confirmed first.
    assert [s.state for s in february.segments] == ["confirmed", "collected"]
    assert sum(s.height for s in february.segments) == pytest.approx(february.height)
    _left, top, _right, bottom = chart.plot
    assert february.segments[0].y + february.segments[0].height == pytest.approx(bottom)
    assert february.segments[1].y + february.segments[1].height == pytest.approx(
        february.segments[0].y)
    # 20,000 minor units is the top tick, at the top of the plot.
    assert chart.ticks[-1].value == 20_000 and chart.ticks[-1].pos == pytest.approx(top)
    assert february.y == pytest.approx(top)


def test_pledges_sit_on_top_of_the_column():
    chart = charts.month_chart([group("2026-01", pledged=300, collected=100)], "EUR")
    assert [s.state for s in chart.bars[0].segments] == ["collected", "pledged"]
    assert "Pledged" in chart.bars[0].segments[1].title


def test_tiny_and_huge_amounts_draw():
    tiny = charts.month_chart([group("2026-01", collected=3)], "EUR")
    assert tiny.bars[0].height > 0 and [t.value for t in tiny.ticks] == [0, 1, 2, 3]
    huge = charts.month_chart([group("2026-01", collected=10**15 - 1)], "EUR")
    assert 0 < huge.bars[0].height <= huge.plot[3] - huge.plot[1]
    render(huge)


def test_many_months_are_labelled_sparsely_with_the_year_at_january():
    chart = charts.month_chart([group("2024-01", collected=1), group("2026-12", collected=1)],
                               "EUR")
    assert len(chart.bars) == 36
    labelled = [bar for bar in chart.bars if bar.axis_label]
    assert 4 <= len(labelled) < 36
    assert labelled[0].axis_label == ("Jan", "2024")


# --- countries --------------------------------------------------------------------------


def test_country_bars_are_proportional_and_leave_pledges_out():
    chart = charts.country_chart([group("PL", "Poland", collected=30_000, pledged=99_999),
                                  group("FI", "Finland", transferred=10_000, confirmed=5_000)],
                                 "EUR")
    poland, finland = chart.bars
    assert poland.total_minor == 30_000 and finland.total_minor == 15_000
    assert poland.width == pytest.approx(2 * finland.width)
    assert {s.state for b in chart.bars for s in b.segments} <= {"collected", "transferred",
                                                                 "confirmed"}
    assert poland.total_label == money.format_display(30_000, "EUR")


def test_many_countries_end_with_one_bar_for_the_rest():
    groups = [group(f"C{i:02}", f"Country {i}", collected=1000 - i) for i in range(20)]
    chart = charts.country_chart(groups, "EUR")
    assert len(chart.bars) == charts.MAX_ROWS
    rest = chart.bars[-1]
    assert rest.label == f"{20 - charts.MAX_ROWS + 1} other countries"
    assert rest.total_minor == sum(1000 - i for i in range(charts.MAX_ROWS - 1, 20))


# --- the SVG ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["month", "country"])
def test_the_svg_is_well_formed_and_labelled_for_screen_readers(kind):
    groups = ([group("2026-01", pledged=1, collected=2, transferred=3, confirmed=4),
               group("2026-03", collected=12_345)] if kind == "month"
              else [group("FI", "Finland <&> \"Suomi\"", collected=2, transferred=3,
                          confirmed=4)])
    chart = getattr(charts, f"{kind}_chart")(groups, "EUR")
    svg = render(chart)
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    assert svg.get("viewBox") == f"0 0 {chart.width} {chart.height}"
    assert svg.get("width") == "100%"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}desc").get("id") == desc_id
    segments = svg.findall(f".//{SVG}rect[@data-amount]")
    expected = [s for bar in chart.bars for s in bar.segments]
    assert len(segments) == len(expected) > 0
    for rect, segment in zip(segments, expected, strict=True):
        title = rect.find(f"{SVG}title").text
        assert title.endswith(money.format_display(segment.amount_minor, "EUR"))
        assert rect.get("fill") == f"url(#{chart.id}-{segment.state})"
    # Every state has its own pattern, so that colour is not the only difference.
    patterns = {p.get("id") for p in svg.iter(f"{SVG}pattern")}
    assert patterns == {f"{chart.id}-{state}" for state in charts.STATES}
    texts = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert chart.ticks[-1].label in texts


def test_the_legend_names_every_state_shown():
    macros = current_app.jinja_env.get_template("_macros/charts.html").module
    chart = charts.month_chart([group("2026-01", collected=1)], "EUR")
    html = str(macros.chart_svg(chart))
    for state in charts.STATES:
        assert charts.STATE_LABELS[state] in html


def test_an_empty_chart_still_draws():
    for chart in (charts.month_chart([], "EUR"), charts.country_chart([], "EUR")):
        svg = render(chart)
        assert svg.findall(f".//{SVG}rect[@data-amount]") == []
        assert "No money" in svg.find(f"{SVG}desc").text
