"""Totals of the ledger by SQL aggregates over the ledger day sums: the base-currency total
with native subtotals, the money's progress from pledged to confirmed, and breakdowns by
country, city, collective, film, beneficiary, month and currency.

Pledges are promises, not money: "raised" counts collected, transferred and confirmed
contributions; pledges are shown beside it. "Reached the beneficiary" is transferred plus
confirmed. Unconverted contributions are counted, never added to a base total.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, literal, select

from ...extensions import db
from ...models import (
    PUBLIC_STATUSES,
    Beneficiary,
    City,
    Collective,
    ContributionState,
    Country,
    Film,
    Fundraiser,
    LedgerDay,
    Screening,
    screening_hosts,
)
from .rollup import base_currency

STATES = tuple(ContributionState)
RAISED_STATES = (ContributionState.COLLECTED, ContributionState.TRANSFERRED,
                 ContributionState.CONFIRMED)
GROUPINGS = ("country", "city", "collective", "film", "beneficiary", "month", "currency")


@dataclass(frozen=True)
class Filters:
    """Which contributions a figure covers. Slugs and codes as in URLs; None means any.

    `collective_ids` limits to screenings hosted by those collectives (an organiser's own
    share); `public_only` to fundraisers with public totals on public screenings.
    """

    date_from: date | None = None
    date_to: date | None = None
    country: str | None = None
    film: str | None = None
    beneficiary: str | None = None
    collective: str | None = None
    collective_ids: frozenset[int] | None = None
    fundraiser_ids: frozenset[int] | None = None
    public_only: bool = False


@dataclass(frozen=True)
class CurrencyTotal:
    """What was raised in one currency, and its base equivalent where converted."""

    currency: str
    amount_minor: int
    count: int
    base_amount_minor: int
    unconverted: int


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: base sums per state, counts of raised money."""

    key: str
    label: str
    by_state: dict[str, int]
    count: int
    unconverted: int
    pledged_count: int = 0
    native: dict[str, int] = field(default_factory=dict)  # currency breakdown only

    @property
    def raised_minor(self) -> int:
        """Collected + transferred + confirmed, in base minor units."""
        return sum(self.by_state[str(s)] for s in RAISED_STATES)

    @property
    def reached_minor(self) -> int:
        """Transferred + confirmed: money that went on to the beneficiary."""
        return (self.by_state[str(ContributionState.TRANSFERRED)]
                + self.by_state[str(ContributionState.CONFIRMED)])

    @property
    def pledged_minor(self) -> int:
        """Promised, not yet in hand."""
        return self.by_state[str(ContributionState.PLEDGED)]


@dataclass(frozen=True)
class Totals:
    """The raised total in the base currency, native subtotals, and the state pipeline."""

    base_currency: str
    base_amount_minor: int
    unconverted: int
    count: int
    by_currency: list[CurrencyTotal]
    by_state: dict[str, int] = field(default_factory=dict)
    count_by_state: dict[str, int] = field(default_factory=dict)
    unconverted_by_state: dict[str, int] = field(default_factory=dict)

    @property
    def reached_minor(self) -> int:
        """Transferred + confirmed, in base minor units."""
        return (self.by_state.get(str(ContributionState.TRANSFERRED), 0)
                + self.by_state.get(str(ContributionState.CONFIRMED), 0))

    @property
    def pledged_minor(self) -> int:
        """Pledged (not in the raised total), in base minor units."""
        return self.by_state.get(str(ContributionState.PLEDGED), 0)

    @property
    def pledged_count(self) -> int:
        """How many pledges are open."""
        return self.count_by_state.get(str(ContributionState.PLEDGED), 0)


def _slug_id(model, column, value):
    return select(model.id).where(column == value).scalar_subquery()


def filter_conditions(filters: Filters, *, day, country_id, film_id, beneficiary_id,
                      fundraiser_id) -> list:
    """WHERE clauses for the filters on any query that exposes these columns (ledger days,
    raw contributions, screenings with their fundraiser). `day` None skips the date range,
    for callers whose dates mean something else."""
    where = []
    if day is not None and filters.date_from is not None:
        where.append(day >= filters.date_from)
    if day is not None and filters.date_to is not None:
        where.append(day <= filters.date_to)
    if filters.country:
        where.append(country_id == _slug_id(Country, Country.code, filters.country.upper()))
    if filters.film:
        where.append(film_id == _slug_id(Film, Film.slug, filters.film))
    if filters.beneficiary:
        where.append(beneficiary_id == _slug_id(Beneficiary, Beneficiary.slug,
                                                filters.beneficiary))
    if filters.fundraiser_ids is not None:
        where.append(fundraiser_id.in_(filters.fundraiser_ids))
    hosted_by = []  # one host row must meet both: a named collective within the scope
    if filters.collective:
        hosted_by.append(screening_hosts.c.collective_id == _slug_id(
            Collective, Collective.slug, filters.collective))
    if filters.collective_ids is not None:
        hosted_by.append(screening_hosts.c.collective_id.in_(filters.collective_ids))
    if hosted_by:
        where.append(fundraiser_id.in_(
            select(Fundraiser.id).join(screening_hosts,
                                       screening_hosts.c.screening_id == Fundraiser.screening_id)
            .where(*hosted_by)))
    if filters.public_only:
        where.append(fundraiser_id.in_(
            select(Fundraiser.id).join(Screening, Fundraiser.screening_id == Screening.id)
            .where(Fundraiser.totals_public.is_(True), Screening.status.in_(PUBLIC_STATUSES))))
    return where


def conditions(filters: Filters) -> list:
    """WHERE clauses on ledger_days for the filters."""
    return filter_conditions(
        filters, day=LedgerDay.received_on, country_id=LedgerDay.country_id,
        film_id=LedgerDay.film_id, beneficiary_id=LedgerDay.beneficiary_id,
        fundraiser_id=LedgerDay.fundraiser_id,
    )


def _sums():
    """Base sum per state, then counts of raised contributions, unconverted ones, pledges."""
    raised = LedgerDay.state.in_(RAISED_STATES)
    return [
        *(func.coalesce(func.sum(case((LedgerDay.state == s, LedgerDay.base_amount_minor),
                                      else_=literal(0))), 0) for s in STATES),
        func.coalesce(func.sum(case((raised, LedgerDay.count), else_=literal(0))), 0),
        func.coalesce(func.sum(case((raised, LedgerDay.unconverted), else_=literal(0))), 0),
        func.coalesce(func.sum(case((raised, literal(0)), else_=LedgerDay.count)), 0),
    ]


def _group(key, label, sums, native=None) -> Group:
    by_state = {str(s): int(v) for s, v in zip(STATES, sums[:4], strict=True)}
    return Group(str(key), str(label), by_state, int(sums[4]), int(sums[5]), int(sums[6]),
                 native or {})


def totals(filters: Filters | None = None, *, collective_ids=None, public_only: bool = False,
           fundraiser_ids=None) -> Totals:
    """The raised total in the base currency with native subtotals and the state pipeline."""
    if filters is None:
        filters = Filters(
            collective_ids=frozenset(collective_ids) if collective_ids is not None else None,
            fundraiser_ids=frozenset(fundraiser_ids) if fundraiser_ids is not None else None,
            public_only=public_only,
        )
    rows = db.session.execute(
        select(LedgerDay.currency, LedgerDay.state, func.sum(LedgerDay.amount_minor),
               func.sum(LedgerDay.count), func.sum(LedgerDay.base_amount_minor),
               func.sum(LedgerDay.unconverted))
        .where(*conditions(filters)).group_by(LedgerDay.currency, LedgerDay.state)
        .order_by(LedgerDay.currency)
    ).all()
    # A few dozen grouped rows (currencies x states) folded into the two views.
    currencies: dict[str, list[int]] = {}
    by_state = {str(s): 0 for s in STATES}
    count_by_state, unconverted_by_state = dict(by_state), dict(by_state)
    for currency, state, amount, count, base, unconverted in rows:
        state = str(state)
        by_state[state] += int(base)
        count_by_state[state] += int(count)
        unconverted_by_state[state] += int(unconverted)
        if ContributionState(state) in RAISED_STATES:
            sums = currencies.setdefault(currency, [0, 0, 0, 0])
            for i, value in enumerate((amount, count, base, unconverted)):
                sums[i] += int(value)
    by_currency = [CurrencyTotal(c, *sums) for c, sums in sorted(currencies.items())]
    return Totals(
        base_currency=base_currency(),
        base_amount_minor=sum(row.base_amount_minor for row in by_currency),
        unconverted=sum(row.unconverted for row in by_currency),
        count=sum(row.count for row in by_currency),
        by_currency=by_currency, by_state=by_state, count_by_state=count_by_state,
        unconverted_by_state=unconverted_by_state,
    )


def totals_for_fundraiser(fundraiser_id: int) -> Totals:
    """Totals of one fundraiser."""
    return totals(Filters(fundraiser_ids=frozenset({fundraiser_id})))


def _dimension(group_by: str):
    """(grouped column of ledger_days, joined table, key column, label columns) per grouping."""
    return {
        "country": (LedgerDay.country_id, Country, Country.code, (Country.name,)),
        "city": (LedgerDay.city_id, City, City.id, (City.name,)),
        "film": (LedgerDay.film_id, Film, Film.slug, (Film.title,)),
        "beneficiary": (LedgerDay.beneficiary_id, Beneficiary, Beneficiary.slug,
                        (Beneficiary.name,)),
    }[group_by]


def breakdown(group_by: str, filters: Filters | None = None) -> list[Group]:
    """Raised money grouped by one dimension, largest first (months in calendar order).

    A screening hosted by several collectives counts in full for each of them, so the
    collective breakdown can add up to more than the total.
    """
    if group_by not in GROUPINGS:
        raise ValueError(f"Unknown grouping: {group_by}")
    filters = filters or Filters()
    where = conditions(filters)
    if group_by in ("month", "currency"):
        column = LedgerDay.received_month if group_by == "month" else LedgerDay.currency
        # Native sums of raised money only, like the counts beside them.
        raised_native = func.sum(case((LedgerDay.state.in_(RAISED_STATES),
                                       LedgerDay.amount_minor), else_=literal(0)))
        extra = [raised_native] if group_by == "currency" else []
        rows = db.session.execute(
            select(column, *_sums(), *extra).where(*where).group_by(column).order_by(column)
        ).all()
        groups = [_group(row[0], row[0], row[1:8],
                         {row[0]: int(row[8])} if group_by == "currency" else None)
                  for row in rows]
        return groups if group_by == "month" else _largest_first(groups)
    if group_by == "collective":
        inner = (
            select(screening_hosts.c.collective_id.label("k"), *(
                s.label(f"s{i}") for i, s in enumerate(_sums())))
            .select_from(LedgerDay)
            .join(Fundraiser, LedgerDay.fundraiser_id == Fundraiser.id)
            .join(screening_hosts, screening_hosts.c.screening_id == Fundraiser.screening_id)
            .where(*where).group_by(screening_hosts.c.collective_id).subquery()
        )
        key, labels, joined = Collective.slug, (Collective.name,), Collective
    else:
        column, joined, key, labels = _dimension(group_by)
        inner = (select(column.label("k"), *(s.label(f"s{i}") for i, s in enumerate(_sums())))
                 .where(*where).group_by(column).subquery())
    extra_label = []
    if group_by == "city":
        extra_label = [Country.code]
    query = select(key, *labels, *extra_label, *(inner.c[f"s{i}"] for i in range(7))).join(
        inner, joined.id == inner.c.k)
    if group_by == "city":
        query = query.join(Country, City.country_id == Country.id)
    groups = []
    for row in db.session.execute(query):
        label = f"{row[1]}, {row[2]}" if group_by == "city" else row[1]
        sums = row[3:10] if group_by == "city" else row[2:9]
        groups.append(_group(row[0], label, sums))
    return _largest_first(groups)


def _largest_first(groups: list[Group]) -> list[Group]:
    return sorted(groups, key=lambda g: (-g.raised_minor, -g.pledged_minor, g.label))


def raised_by_fundraiser(fundraiser_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(raised base minor units, unconverted count) per fundraiser, in one query."""
    if not fundraiser_ids:
        return {}
    raised = LedgerDay.state.in_(RAISED_STATES)
    rows = db.session.execute(
        select(LedgerDay.fundraiser_id,
               func.sum(case((raised, LedgerDay.base_amount_minor), else_=literal(0))),
               func.sum(case((raised, LedgerDay.unconverted), else_=literal(0))))
        .where(LedgerDay.fundraiser_id.in_(fundraiser_ids))
        .group_by(LedgerDay.fundraiser_id)
    )
    return {fid: (int(amount), int(unconverted)) for fid, amount, unconverted in rows}
