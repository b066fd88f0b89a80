"""The money dashboard's service: fundraisers measured against their goals, held screenings
that have reported no money yet, what the filter bar offers, and the whole dashboard -- in a
fixed number of queries whatever the number of rows."""

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased, joinedload

from ...extensions import db
from ...models import (
    Beneficiary,
    City,
    Collective,
    Country,
    ExchangeRate,
    Film,
    Fundraiser,
    LedgerDay,
    Screening,
    Status,
    screening_hosts,
    utcnow,
)
from .. import localtime, money
from ..errors import ValidationFailed
from ..query_args import MAX_TEXT
from .aggregates import (
    Filters,
    Totals,
    breakdown,
    filter_conditions,
    raised_by_fundraiser,
    totals,
)
from .cache import cached
from .filters import parse_filters
from .rollup import base_currency

DASHBOARD_GROUPINGS = ("month", "country", "city", "collective", "film", "beneficiary")


@dataclass(frozen=True)
class Page:
    """One page of rows, shaped like Flask-SQLAlchemy's pagination for the pager."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


@dataclass(frozen=True)
class GoalRow:
    """A fundraiser with a goal, what it raised (base) and the goal in the base currency."""

    screening_id: int
    title: str
    city: str
    country: str
    starts_at: datetime
    timezone: str
    local_day: date
    status: Status
    beneficiary: str
    goal_minor: int
    goal_currency: str
    goal_base_minor: int | None  # None: no exchange rate for the goal's currency on that day
    raised_minor: int
    unconverted: int
    base_currency: str

    @property
    def percent(self) -> int | None:
        """Raised as a whole percentage of the goal (may pass 100); None when unknown."""
        if self.goal_base_minor is None:
            return None
        return self.raised_minor * 100 // self.goal_base_minor

    @property
    def bar_value(self) -> int:
        """The progress bar's value, capped at the goal."""
        return min(self.raised_minor, self.goal_base_minor or 0)


@dataclass(frozen=True)
class UnreportedRow:
    """A screening that took place and has no money recorded at all."""

    screening_id: int
    title: str
    city: str
    country: str
    starts_at: datetime
    timezone: str
    local_day: date
    collectives: tuple[str, ...]
    days_since: int


@dataclass(frozen=True)
class Unreported:
    """The oldest unreported screenings, and how many there are in all."""

    rows: list[UnreportedRow]
    total: int


@dataclass(frozen=True)
class FilterOptions:
    """(value, label) pairs for the filter bar's selects."""

    countries: list[tuple[str, str]]
    films: list[tuple[str, str]]
    beneficiaries: list[tuple[str, str]]
    collectives: list[tuple[str, str]]


@dataclass(frozen=True)
class Dashboard:
    """Every figure of the money dashboard for one set of filters."""

    filters: Filters
    totals: Totals
    breakdowns: dict[str, list]
    goals: Page
    unreported: Unreported
    missing_rates: list[str]  # currencies with contributions (pledges too) left unconverted

    @property
    def unconverted_all(self) -> int:
        """Contributions without a rate in every state, pledges included."""
        return sum(self.totals.unconverted_by_state.values())

    @property
    def reached_percent(self) -> int | None:
        """Reached the beneficiary as a whole percentage of what was raised."""
        if not self.totals.base_amount_minor:
            return None
        return self.totals.reached_minor * 100 // self.totals.base_amount_minor


def screening_conditions(filters: Filters) -> list:
    """WHERE clauses on screenings joined to their fundraiser (dates: the UTC start day)."""
    # An alias: the pages' own queries join City too, which would swallow the correlation.
    city = aliased(City)
    where = filter_conditions(
        filters, day=None,
        country_id=select(city.country_id).where(city.id == Screening.city_id)
        .scalar_subquery(),
        film_id=Screening.film_id, beneficiary_id=Fundraiser.beneficiary_id,
        fundraiser_id=Fundraiser.id, screening_id=Screening.id,
    )
    if filters.date_from is not None:
        where.append(Screening.starts_at >= datetime.combine(filters.date_from, time.min, UTC))
    if filters.date_to is not None:
        where.append(Screening.starts_at < datetime.combine(
            filters.date_to + timedelta(days=1), time.min, UTC))
    return where


def _goal_rates(currencies: set[str], until: date) -> dict[str, tuple[list[date], list]]:
    """Rates of the goals' currencies up to a day, in one query, for bisecting per row."""
    table: dict[str, tuple[list[date], list]] = {c: ([], []) for c in currencies}
    # Run even without currencies: the page's query count stays the same whatever its rows.
    for currency, valid_on, per_base in db.session.execute(
        select(ExchangeRate.currency, ExchangeRate.valid_on, ExchangeRate.per_base)
        .where(ExchangeRate.currency.in_(currencies), ExchangeRate.valid_on <= until)
        .order_by(ExchangeRate.currency, ExchangeRate.valid_on)
    ):
        table[currency][0].append(valid_on)
        table[currency][1].append(per_base)
    return table


def goal_progress(filters: Filters, page: int = 1, per_page: int = 20) -> Page:
    """Screenings whose fundraiser has a goal, latest first, with raised money against it.

    The goal is converted at the latest rate on or before the screening's local day (the
    base currency 1:1; no rate: progress unknown). Raised counts all of the fundraiser's
    collected, transferred and confirmed money, whatever the date filters.
    """
    where = [Fundraiser.goal_amount_minor.is_not(None), Screening.status != Status.DRAFT,
             *screening_conditions(filters)]
    joined = (select(Fundraiser.id).join(Screening, Fundraiser.screening_id == Screening.id)
              .where(*where))
    total = db.session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = db.session.execute(
        select(Fundraiser.id, Screening.id, func.coalesce(Screening.title, Film.title),
               City.name, Country.code, Screening.starts_at, Screening.timezone,
               Screening.status, Beneficiary.name, Fundraiser.goal_amount_minor,
               Fundraiser.goal_currency)
        .join(Screening, Fundraiser.screening_id == Screening.id)
        .join(Film, Screening.film_id == Film.id).join(City, Screening.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .join(Beneficiary, Fundraiser.beneficiary_id == Beneficiary.id)
        .where(*where).order_by(Screening.starts_at.desc(), Screening.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    base = base_currency()
    raised = raised_by_fundraiser([row[0] for row in rows])
    days = {row[0]: localtime.to_local(row[5], row[6]).date() for row in rows}
    rates = _goal_rates({row[10] for row in rows if row[10] != base},
                        max(days.values(), default=date.min))
    items = []
    for (fid, sid, title, city, country, starts_at, zone, status, beneficiary, goal,
         currency) in rows:
        if currency == base:
            goal_base = goal
        else:
            valid, values = rates[currency]
            index = bisect_right(valid, days[fid]) - 1
            goal_base = (money.convert_to_base(goal, currency, values[index], base)
                         if index >= 0 else None)
        amount, unconverted = raised.get(fid, (0, 0))
        items.append(GoalRow(sid, title, city, country, starts_at, zone, days[fid],
                             Status(status), beneficiary, goal, currency, goal_base or None,
                             amount, unconverted, base))
    return Page(items, page, per_page, total)


def unreported(filters: Filters, limit: int = 20, today: date | None = None) -> Unreported:
    """Held screenings whose fundraiser has no contribution at all, oldest first."""
    today = today or utcnow().date()
    where = [Screening.status == Status.HELD, *screening_conditions(filters),
             ~exists().where(LedgerDay.fundraiser_id == Fundraiser.id)]
    base = select(Screening).join(Fundraiser, Fundraiser.screening_id == Screening.id)
    total = db.session.scalar(
        select(func.count()).select_from(base.where(*where).subquery())) or 0
    screenings = db.session.scalars(
        base.where(*where).options(joinedload(Screening.film),
                                   joinedload(Screening.city).joinedload(City.country))
        .order_by(Screening.starts_at, Screening.id).limit(limit)
    ).all()
    # Host names in one query that runs even for no rows (selectinload would skip it).
    hosts: dict[int, list[str]] = {}
    for screening_id, name in db.session.execute(
        select(screening_hosts.c.screening_id, Collective.name)
        .join(Collective, Collective.id == screening_hosts.c.collective_id)
        .where(screening_hosts.c.screening_id.in_([s.id for s in screenings]))
        .order_by(Collective.name)
    ):
        hosts.setdefault(screening_id, []).append(name)
    rows = []
    for s in screenings:
        day = localtime.to_local(s.starts_at, s.timezone).date()
        rows.append(UnreportedRow(s.id, s.display_title, s.city.name, s.city.country.code,
                                  s.starts_at, s.timezone, day, tuple(hosts.get(s.id, ())),
                                  (today - day).days))
    return Unreported(rows, total)


def filter_options(collective_ids: frozenset[int] | None = None) -> FilterOptions:
    """Countries with screenings (in scope), films, beneficiaries, the collectives in scope."""
    screened = select(City.country_id).join(Screening, Screening.city_id == City.id)
    collectives = select(Collective.slug, Collective.name)
    if collective_ids is not None:
        # Another collective's drafts must not show up as a country to pick.
        screened = screened.where(Screening.id.in_(select(screening_hosts.c.screening_id).where(
            screening_hosts.c.collective_id.in_(collective_ids))))
        collectives = collectives.where(Collective.id.in_(collective_ids))
    countries = select(Country.code, Country.name).where(Country.id.in_(screened))
    return FilterOptions(
        countries=[tuple(r) for r in db.session.execute(countries.order_by(Country.name))],
        films=[tuple(r) for r in db.session.execute(
            select(Film.slug, Film.title).order_by(Film.part.is_(None), Film.part, Film.title))],
        beneficiaries=[tuple(r) for r in db.session.execute(
            select(Beneficiary.slug, Beneficiary.name).order_by(Beneficiary.name))],
        collectives=[tuple(r) for r in db.session.execute(collectives.order_by(Collective.name))],
    )


def scoped_filters(args: Mapping[str, str], collective_ids: frozenset[int] | None = None,
                   allowed: set[str] | None = None) -> Filters:
    """Filters from the query string on top of a collective scope (None: every collective).

    `allowed` holds the slugs of the collectives in scope: another collective's slug is
    refused with the same message as an unknown one, so the answer does not tell whether it
    exists. ValidationFailed names every argument at fault.
    """
    errors: dict[str, str] = {}
    filters = None
    try:
        filters = parse_filters(args, base=Filters(collective_ids=collective_ids))
    except ValidationFailed as exc:
        errors = dict(exc.fields)
    chosen = (args.get("collective") or "").strip()
    if allowed is not None and chosen and chosen not in allowed:
        errors["collective"] = _("There is no collective %(value)s.",
                                 value=repr(chosen[:MAX_TEXT]))
    if errors or filters is None:
        raise ValidationFailed(errors)
    return filters


def missing_rates(filters: Filters) -> list[str]:
    """Currencies of the contributions, pledges included, that have no usable rate."""
    return list(totals(filters).missing_rates)


def dashboard(filters: Filters, page: int = 1, per_page: int = 20,
              today: date | None = None) -> Dashboard:
    """Totals, breakdowns, goal progress and unreported screenings for the filters, computed
    once per ledger revision (cache.py); the filters carry the viewer's scope."""
    today = today or utcnow().date()
    return cached("dashboard", (filters, page, per_page, today),
                  lambda: compute_dashboard(filters, page, per_page, today))


def compute_dashboard(filters: Filters, page: int = 1, per_page: int = 20,
                      today: date | None = None) -> Dashboard:
    """dashboard() without the cache."""
    figures = totals(filters)
    return Dashboard(
        filters=filters, totals=figures,
        breakdowns={name: breakdown(name, filters) for name in DASHBOARD_GROUPINGS},
        goals=goal_progress(filters, page, per_page),
        unreported=unreported(filters, today=today), missing_rates=list(figures.missing_rates),
    )

