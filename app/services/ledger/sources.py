"""Where a ledger figure is read from: the month sums for whole months, the day sums for the
days at the edges of a date range (added to the month sums, or taken away from a whole month
when that reads fewer days) and for screenings with several hosts. Each figure is one grouped
query per source, added up with its sign by the caller: integer sums, exact either way.

A collective (picked, an organiser's scope, or the collective breakdown) is a host of the
fundraiser's screening. The month sums know a screening's host only when it has exactly one
(host_id 0 otherwise): the days of co-hosted screenings then come from ledger_days, where the
host is looked up in screening_hosts as before.
"""

from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import and_, or_

from ...models import Beneficiary, Collective, Country, Film, LedgerDay
from ...models.ledger import LedgerMonthBase
from .where import Filters, _slug_id, conditions


@dataclass(frozen=True)
class Plan:
    """Which rows of each source a figure adds up.

    A month cut by the date range is read either as its days in the range (`plus`), or, when
    that is most of the month, as the whole month from the month sums less the days outside
    the range (`minus`): integer sums, so exact either way.
    """

    months: bool  # whether the month sums are read at all
    first_month: str | None  # "YYYY-MM", inclusive; None: from the beginning
    last_month: str | None  # inclusive; None: to the end
    plus: tuple[tuple[date, date], ...]  # day ranges (inclusive) added from ledger_days
    minus: tuple[tuple[date, date], ...]  # day ranges taken away from the month sums
    by_host: bool  # a collective matters: co-hosted screenings' days come from ledger_days
    days_only: bool  # filters the month sums cannot answer (public only, fundraisers)


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _bounds(day: date) -> tuple[date, date]:
    """The first and last day of the day's month."""
    return day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1])


def plan(filters: Filters, *, by_host: bool = False) -> Plan:
    """The split of the filters' date range into whole months and days at the edges."""
    by_host = by_host or filters.collective is not None or filters.collective_ids is not None
    if filters.public_only or filters.fundraiser_ids is not None:
        return Plan(False, None, None, (), (), by_host, True)
    start, end = filters.date_from, filters.date_to
    if start is not None and end is not None and start > end:
        return Plan(False, None, None, ((start, end),), (), by_host, False)  # nothing
    first = _bounds(start)[0] if start is not None else None
    last = _bounds(end)[0] if end is not None else None
    plus, minus = [], []
    for edge in sorted({day for day in (first, last) if day is not None}):
        month_start, month_end = _bounds(edge)
        inside = (max(start or month_start, month_start), min(end or month_end, month_end))
        days = (inside[1] - inside[0]).days + 1
        whole = (month_end - month_start).days + 1
        if days == whole:
            continue
        if days <= whole - days:
            plus.append(inside)  # read the few days; the month sums skip this month
            if edge == first:
                first = month_end + timedelta(days=1)
            if edge == last:
                last = month_start - timedelta(days=1)
            continue
        if inside[0] > month_start:
            minus.append((month_start, inside[0] - timedelta(days=1)))
        if inside[1] < month_end:
            minus.append((inside[1] + timedelta(days=1), month_end))
    months = first is None or last is None or first <= last
    return Plan(months, _month(first) if first else None, _month(last) if last else None,
                tuple(plus), tuple(minus), by_host, False)


def month_conditions(filters: Filters, p: Plan, model=LedgerMonthBase) -> list:
    """WHERE clauses on a month table (LedgerMonth or LedgerMonthBase) for the whole months
    of the plan; with a collective in play, without co-hosted screenings' cells (host 0)."""
    where = []
    if p.first_month is not None:
        where.append(model.received_month >= p.first_month)
    if p.last_month is not None:
        where.append(model.received_month <= p.last_month)
    if filters.country:
        where.append(model.country_id == _slug_id(Country, Country.code,
                                                  filters.country.upper()))
    if filters.film:
        where.append(model.film_id == _slug_id(Film, Film.slug, filters.film))
    if filters.beneficiary:
        where.append(model.beneficiary_id == _slug_id(Beneficiary, Beneficiary.slug,
                                                      filters.beneficiary))
    if p.by_host:
        where.append(model.host_id != 0)
    if filters.collective:
        where.append(model.host_id == _slug_id(Collective, Collective.slug, filters.collective))
    if filters.collective_ids is not None:
        where.append(model.host_id.in_(filters.collective_ids))
    return where


def _in(ranges) -> list:
    return [and_(LedgerDay.received_on >= a, LedgerDay.received_on <= b) for a, b in ranges]


def day_conditions(filters: Filters, p: Plan) -> list | None:
    """WHERE clauses on ledger_days for the days added to the month sums; None: none."""
    if p.days_only or not p.months:
        return conditions(filters)
    added = _in(p.plus)
    if p.by_host:
        added.append(LedgerDay.host_id == 0)
    if not added:
        return None
    return [*conditions(filters), or_(*added)]


def minus_conditions(filters: Filters, p: Plan) -> list | None:
    """WHERE clauses on ledger_days for the days taken away from the month sums (outside
    the date range, so without it; the month sums' own cells only); None: none."""
    if not p.months or not p.minus:
        return None
    where = [*conditions(replace(filters, date_from=None, date_to=None)), or_(*_in(p.minus))]
    if p.by_host:
        where.append(LedgerDay.host_id != 0)
    return where
