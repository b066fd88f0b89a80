"""Chart geometry for the money dashboard: rounded axis ticks and stacked bars computed from
breakdown groups, in SVG user units. Pure functions, no database; templates/_macros/
charts.html draws what they return. Money stays in integer minor units; only the geometry
(positions on screen) is in floats."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_compact_currency
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..locales import LazyLabels
from . import money

# Stacked from the baseline up: money furthest along first, promises on top.
STATES = ("confirmed", "transferred", "collected", "pledged")
RAISED = ("confirmed", "transferred", "collected")
STATE_LABELS = LazyLabels({
    "confirmed": _l("Confirmed received"),
    "transferred": _l("Transferred to the beneficiary"),
    "collected": _l("Collected, not yet sent on"),
    "pledged": _l("Pledged (promised; not in the raised total)"),
})
# The short names heading the figures table's columns.
STATE_NAMES = LazyLabels({
    "confirmed": _l("Confirmed"),
    "transferred": _l("Transferred"),
    "collected": _l("Collected"),
    "pledged": _l("Pledged"),
})
# strftime styles of the English labels -> CLDR patterns of the same fields elsewhere.
MONTH_PATTERNS = {"%B %Y": "LLLL y", "%b": "LLL"}
WIDTH = 300  # viewBox units: about 1:1 in a panel on a 360 px phone; CSS caps it on wide screens
FONT = 12
MAX_ROWS = 12  # countries drawn one by one; the rest share one bar


@dataclass(frozen=True)
class Tick:
    """A value on the money axis and where it sits."""

    value: int
    pos: float
    label: str


@dataclass(frozen=True)
class Segment:
    """One state's part of a bar, with its exact figure for the tooltip."""

    state: str
    x: float
    y: float
    width: float
    height: float
    amount_minor: int
    title: str


@dataclass(frozen=True)
class Bar:
    """One month or one country: its stacked segments and labels."""

    key: str
    label: str
    total_minor: int
    total_label: str
    segments: tuple[Segment, ...]
    x: float
    y: float
    width: float
    height: float
    axis_label: tuple[str, ...] = ()  # short lines under a column (empty: not labelled)


@dataclass(frozen=True)
class Chart:
    """Everything the SVG macro needs; `kind` is "columns" (months) or "rows" (countries)."""

    id: str
    kind: str
    title: str
    desc: str
    currency: str
    width: int
    height: int
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    ticks: tuple[Tick, ...]
    bars: tuple[Bar, ...]
    states: tuple[str, ...]
    font: int = FONT

    @property
    def state_labels(self) -> list[tuple[str, str]]:
        """(state, label) for the legend, in stacking order."""
        return [(state, STATE_LABELS[state]) for state in self.states]

    @property
    def state_names(self) -> LazyLabels:
        """Short state names for the figures table's column heads."""
        return STATE_NAMES


def _locale() -> Locale:
    """The reader's locale (English outside a request)."""
    return get_locale() or Locale("en")


def nice_step(largest: int, target: int = 5) -> int:
    """A step of 1, 2 or 5 times a power of ten that covers `largest` in about `target` steps."""
    raw = max(1, -(-largest // target))
    magnitude = 10 ** (len(str(raw)) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def tick_values(largest: int, currency: str, target: int = 5) -> list[int]:
    """Rounded ticks from 0 to at least `largest` (minor units); one major unit when all is 0."""
    if largest <= 0:
        return [0, 10 ** money.exponent(currency)]
    step = nice_step(largest, target)
    top = -(-largest // step) * step
    return list(range(0, top + 1, step))


def tick_label(minor: int, currency: str) -> str:
    """A short axis label such as "€0", "€250", "€1.5K", "€2M"."""
    return format_compact_currency(money.to_decimal(minor, currency), currency,
                                   locale=_locale(), fraction_digits=2)


def month_keys(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from first to last, so that months without money show as zero."""
    year, month = int(first[:4]), int(first[5:7])
    keys = []
    while f"{year:04}-{month:02}" <= last:
        keys.append(f"{year:04}-{month:02}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def fill_months(groups: Sequence) -> list[tuple[str, dict[str, int]]]:
    """(month, amounts by state) for every month between the first and the last group."""
    by_month = {g.key: g.by_state for g in groups}
    if not by_month:
        return []
    zero = dict.fromkeys(STATES, 0)
    return [(key, {**zero, **by_month.get(key, {})})
            for key in month_keys(min(by_month), max(by_month))]


def fill_month_groups(groups: Sequence) -> list:
    """The month groups with every gap between them filled by a zero group, labelled
    "April 2026"; the same months as the chart, for the table under it."""
    if not groups:
        return []
    by_month, sample = {g.key: g for g in groups}, groups[0]
    zero = dict.fromkeys(sample.by_state, 0)
    return [replace(by_month[key], label=month_name(key)) if key in by_month
            else replace(sample, key=key, label=month_name(key), by_state=zero, count=0,
                         unconverted=0, pledged_count=0, native={})
            for key in month_keys(min(by_month), max(by_month))]


def month_name(key: str, style: str = "%B %Y") -> str:
    """ "2026-04" as "April 2026" (or another strftime style), in the reader's language."""
    day = date(int(key[:4]), int(key[5:7]), 1)
    locale = _locale()
    if locale.language == "en" or style not in MONTH_PATTERNS:
        return day.strftime(style)
    return format_date(day, MONTH_PATTERNS[style], locale=locale)


def _money(minor: int, currency: str) -> str:
    return money.format_display(minor, currency, str(_locale()))


def _describe(sentences: list[str], unconverted: int) -> str:
    """A chart's description: its own sentences, what is left out, where the figures are."""
    if unconverted:
        sentences.append(ngettext(
            "%(num)s contribution without an exchange rate is not in the bars.",
            "%(num)s contributions without an exchange rate are not in the bars.", unconverted))
    sentences.append(_("The exact figures are in the table below the chart."))
    return " ".join(sentences)


def _round(value: float) -> float:
    return round(value, 2)


def _stack(amounts: dict[str, int], states: Sequence[str], scale: float, currency: str,
           place) -> tuple[Segment, ...]:
    """Segments of one bar, each `scale` units per minor unit, placed by `place(start, size)`."""
    segments, start = [], 0.0
    for state in states:
        amount = amounts.get(state, 0)
        if amount <= 0:
            continue
        size = amount * scale
        x, y, width, height = place(start, size)
        segments.append(Segment(state, _round(x), _round(y), _round(width), _round(height),
                                amount, _("%(state)s: %(amount)s", state=STATE_LABELS[state],
                                          amount=_money(amount, currency))))
        start += size
    return tuple(segments)


def month_chart(groups: Sequence, currency: str, chart_id: str = "chart-month",
                unconverted: int = 0) -> Chart:
    """Columns per month, stacked by state, with gaps filled as zero months."""
    months = fill_months(groups)
    totals = [sum(amounts.values()) for _, amounts in months]
    ticks = tick_values(max(totals, default=0), currency)
    labels = [tick_label(v, currency) for v in ticks]
    left = max(30, 7 * max(len(label) for label in labels) + 8)
    top, bottom, right = 8.0, 8.0 + 160, WIDTH - 4.0
    height = int(bottom + 2 * FONT + 14)
    scale = (bottom - top) / ticks[-1]
    slot = (right - left) / max(1, len(months))
    bar_width = min(40.0, slot * 0.7)
    every = max(1, -(-len(months) // max(1, int((right - left) // 32))))
    bars = []
    for i, ((key, amounts), total) in enumerate(zip(months, totals, strict=True)):
        x = left + i * slot + (slot - bar_width) / 2

        def place(start, size, x=x):
            return x, bottom - start - size, bar_width, size

        axis_label = ()
        if i % every == 0:
            first = i == 0 or key.endswith("-01")
            axis_label = (month_name(key, "%b"), key[:4] if first else "")
        bars.append(Bar(key, month_name(key), total, _money(total, currency),
                        _stack(amounts, STATES, scale, currency, place), _round(x),
                        _round(bottom - total * scale), _round(bar_width),
                        _round(total * scale), axis_label))
    sentences = []
    if months:
        best = max(range(len(months)), key=lambda i: totals[i])
        sentences += [
            _("Money per month from %(first)s to %(last)s, in %(currency)s, stacked by state: "
              "confirmed, transferred, collected, and pledges on top.",
              first=month_name(months[0][0]), last=month_name(months[-1][0]),
              currency=currency),
            _("Highest month: %(month)s, %(amount)s.", month=bars[best].label,
              amount=bars[best].total_label)]
    else:
        sentences.append(_("No money recorded for these filters."))
    desc = _describe(sentences, unconverted)
    return Chart(chart_id, "columns", _("Money per month, by state (%(currency)s)",
                                        currency=currency), desc,
                 currency, WIDTH, height, (left, top, right, bottom),
                 tuple(Tick(v, _round(bottom - v * scale), label)
                       for v, label in zip(ticks, labels, strict=True)),
                 tuple(bars), STATES)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _with_others(groups: Sequence) -> list[tuple[str, str, dict[str, int]]]:
    """(key, label, amounts) of the largest groups, the rest summed into one "others" row."""
    rows = [(g.key, g.label, dict(g.by_state)) for g in groups]
    if len(rows) <= MAX_ROWS:
        return rows
    kept, rest = rows[:MAX_ROWS - 1], rows[MAX_ROWS - 1:]
    summed = {state: sum(amounts.get(state, 0) for _, _, amounts in rest) for state in STATES}
    return [*kept, ("others", ngettext("%(num)s other country", "%(num)s other countries",
                                       len(rest)), summed)]


def country_chart(groups: Sequence, currency: str, chart_id: str = "chart-country",
                  unconverted: int = 0) -> Chart:
    """Horizontal bars of money raised per country (collected, transferred, confirmed)."""
    rows = _with_others(groups)
    totals = [sum(amounts.get(s, 0) for s in RAISED) for _, _, amounts in rows]
    ticks = tick_values(max(totals, default=0), currency, target=4)
    left, right, top, row_height = 2.0, WIDTH - 8.0, 4.0, 38.0
    bottom = top + max(1, len(rows)) * row_height
    height = int(bottom + FONT + 12)
    scale = (right - left) / ticks[-1]
    bars = []
    for i, ((key, label, amounts), total) in enumerate(zip(rows, totals, strict=True)):
        y = top + i * row_height + FONT + 6

        def place(start, size, y=y):
            return left + start, y, size, 14.0

        bars.append(Bar(key, label, total, _money(total, currency),
                        _stack(amounts, RAISED, scale, currency, place), left, _round(y),
                        _round(total * scale), 14.0, (_shorten(label, 24),)))
    if rows:
        sentences = [
            _("Money raised per country in %(currency)s, largest first, stacked by state: "
              "confirmed, transferred, collected. Pledges are not included.", currency=currency),
            _("Most raised: %(country)s, %(amount)s.", country=bars[0].label,
              amount=bars[0].total_label)]
    else:
        sentences = [_("No money raised for these filters.")]
    desc = _describe(sentences, unconverted)
    return Chart(chart_id, "rows", _("Money raised per country (%(currency)s)",
                                     currency=currency), desc, currency,
                 WIDTH, height, (left, top, right, bottom),
                 tuple(Tick(v, _round(left + v * scale), tick_label(v, currency))
                       for v in ticks),
                 tuple(bars), RAISED)
