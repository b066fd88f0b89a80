"""Totals of the ledger by SQL aggregates over the month and day sums (sources.py says which
rows of each): the base-currency total with native subtotals, the money's progress from
pledged to confirmed, and breakdowns by country, city, collective, film, beneficiary, month
and currency.

Pledges are promises, not money: "raised" counts collected, transferred and confirmed
contributions; pledges are shown beside it. "Reached the beneficiary" is transferred plus
confirmed. Unconverted contributions are counted, never added to a base total.
"""

from dataclasses import dataclass, field

from sqlalchemy import case, func, literal, select

from ...extensions import db
from ...models import (
    Beneficiary,
    City,
    Collective,
    ContributionState,
    Country,
    Film,
    Fundraiser,
    LedgerDay,
    screening_hosts,
)
from ...models.ledger import LedgerMonth, LedgerMonthBase
from . import sources
from .rollup import base_currency
from .where import (  # noqa: F401  (re-exported: exports, public_money, progress use them)
    RAISED_STATES,
    STATES,
    Filters,
    conditions,
    filter_conditions,
)

GROUPINGS = ("country", "city", "collective", "film", "beneficiary", "month", "currency")


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
    # Currencies with contributions (pledges too) left without a rate; derived, not compared.
    missing_rates: tuple[str, ...] = field(default=(), compare=False)

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


def _state_sums(model, with_amount: bool) -> list:
    """The summed columns every grouped query selects after its key and state."""
    amount = func.sum(model.amount_minor) if with_amount else literal(0)
    return [amount, func.sum(model.count), func.sum(model.base_amount_minor),
            func.sum(model.unconverted)]


def _parts(filters: Filters, p: sources.Plan, model) -> list[tuple]:
    """(table, WHERE clauses, sign) of each source a figure adds up: the month sums, the days
    added to them, the days taken away."""
    parts = []
    if p.months:
        parts.append((model, sources.month_conditions(filters, p, model), 1))
    for where, sign in ((sources.day_conditions(filters, p), 1),
                        (sources.minus_conditions(filters, p), -1)):
        if where is not None:
            parts.append((LedgerDay, where, sign))
    return parts


def totals(filters: Filters | None = None, *, collective_ids=None, public_only: bool = False,
           fundraiser_ids=None) -> Totals:
    """The raised total in the base currency with native subtotals and the state pipeline."""
    if filters is None:
        filters = Filters(
            collective_ids=frozenset(collective_ids) if collective_ids is not None else None,
            fundraiser_ids=frozenset(fundraiser_ids) if fundraiser_ids is not None else None,
            public_only=public_only,
        )
    cells: dict[tuple[str, str], list[int]] = {}
    for model, where, sign in _parts(filters, sources.plan(filters), LedgerMonth):
        for currency, state, *values in db.session.execute(
            select(model.currency, model.state, *_state_sums(model, True))
            .where(*where).group_by(model.currency, model.state)
        ):
            sums = cells.setdefault((currency, str(state)), [0, 0, 0, 0])
            for i, value in enumerate(values):
                sums[i] += sign * int(value)
    # A few dozen grouped rows (currencies x states) folded into the two views; a cell whose
    # days were all taken away again holds no contribution.
    currencies: dict[str, list[int]] = {}
    by_state = {str(s): 0 for s in STATES}
    count_by_state, unconverted_by_state = dict(by_state), dict(by_state)
    missing = set()
    for (currency, state), (amount, count, base, unconverted) in cells.items():
        if not count:
            continue
        by_state[state] += base
        count_by_state[state] += count
        unconverted_by_state[state] += unconverted
        if unconverted:
            missing.add(currency)
        if ContributionState(state) in RAISED_STATES:
            sums = currencies.setdefault(currency, [0, 0, 0, 0])
            for i, value in enumerate((amount, count, base, unconverted)):
                sums[i] += value
    by_currency = [CurrencyTotal(c, *sums) for c, sums in sorted(currencies.items())]
    return Totals(
        base_currency=base_currency(),
        base_amount_minor=sum(row.base_amount_minor for row in by_currency),
        unconverted=sum(row.unconverted for row in by_currency),
        count=sum(row.count for row in by_currency),
        by_currency=by_currency, by_state=by_state, count_by_state=count_by_state,
        unconverted_by_state=unconverted_by_state, missing_rates=tuple(sorted(missing)),
    )


def totals_for_fundraiser(fundraiser_id: int) -> Totals:
    """Totals of one fundraiser."""
    return totals(Filters(fundraiser_ids=frozenset({fundraiser_id})))


# Per grouping: (column name in the ledger tables, labelled table, key column, label columns).
_DIMENSIONS = {
    "country": ("country_id", Country, Country.code, (Country.name,)),
    "city": ("city_id", City, City.id, (City.name, Country.code)),
    "film": ("film_id", Film, Film.slug, (Film.title,)),
    "beneficiary": ("beneficiary_id", Beneficiary, Beneficiary.slug, (Beneficiary.name,)),
    "collective": ("host_id", Collective, Collective.slug, (Collective.name,)),
}


def _grouped(group_by: str, model, where: list):
    """One source's rows for a breakdown: key, label parts, state, amount, count, base,
    unconverted -- grouped by SQL, labelled by a join on the few groups."""
    if group_by in ("month", "currency"):
        column = getattr(model, "received_month" if group_by == "month" else "currency")
        return (select(column, column, model.state,
                       *_state_sums(model, group_by == "currency"))
                .where(*where).group_by(column, model.state))
    name, table, key, labels = _DIMENSIONS[group_by]
    if group_by == "collective" and model is LedgerDay:
        # Every host of the day's screening: a co-hosted screening counts for each of them.
        column = screening_hosts.c.collective_id
        inner = (select(column.label("k"), model.state.label("state"),
                        *(s.label(f"s{i}") for i, s in enumerate(_state_sums(model, False))))
                 .join(Fundraiser, LedgerDay.fundraiser_id == Fundraiser.id)
                 .join(screening_hosts, screening_hosts.c.screening_id == Fundraiser.screening_id)
                 .where(*where).group_by(column, model.state).subquery())
    else:
        column = getattr(model, name)
        inner = (select(column.label("k"), model.state.label("state"),
                        *(s.label(f"s{i}") for i, s in enumerate(_state_sums(model, False))))
                 .where(*where).group_by(column, model.state).subquery())
    query = select(key, *labels, inner.c.state, *(inner.c[f"s{i}"] for i in range(4))).join(
        inner, table.id == inner.c.k)
    if group_by == "city":
        query = query.join(Country, City.country_id == Country.id)
    return query


def breakdown(group_by: str, filters: Filters | None = None) -> list[Group]:
    """Raised money grouped by one dimension, largest first (months in calendar order).

    A screening hosted by several collectives counts in full for each of them, so the
    collective breakdown can add up to more than the total.
    """
    if group_by not in GROUPINGS:
        raise ValueError(f"Unknown grouping: {group_by}")
    filters = filters or Filters()
    p = sources.plan(filters, by_host=group_by == "collective")
    model = LedgerMonth if group_by == "currency" else LedgerMonthBase
    found: dict[str, tuple[str, dict[str, list[int]]]] = {}
    for source, where, sign in _parts(filters, p, model):
        for row in db.session.execute(_grouped(group_by, source, where)):
            key, *labels, state, amount, count, base, unconverted = row
            label = ", ".join(str(part) for part in labels)
            states = found.setdefault(str(key), (label, {}))[1]
            sums = states.setdefault(str(state), [0, 0, 0, 0])
            for i, value in enumerate((amount, count, base, unconverted)):
                sums[i] += sign * int(value)
    # A group whose days were all taken away again holds no contribution: it is no group.
    groups = [_group(key, label, states, group_by == "currency")
              for key, (label, states) in found.items()
              if any(sums[1] for sums in states.values())]
    if group_by == "month":
        return sorted(groups, key=lambda g: g.key)
    return _largest_first(groups)


def _group(key: str, label: str, states: dict[str, list[int]], native: bool) -> Group:
    """A breakdown row from (amount, count, base, unconverted) per state."""
    zero = [0, 0, 0, 0]
    raised = [states.get(str(s), zero) for s in RAISED_STATES]
    return Group(
        key, label, {str(s): states.get(str(s), zero)[2] for s in STATES},
        sum(r[1] for r in raised), sum(r[3] for r in raised),
        states.get(str(ContributionState.PLEDGED), zero)[1],
        {key: sum(r[0] for r in raised)} if native else {},
    )


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
