"""Totals of the ledger, computed by SQL aggregates in the base currency with native subtotals."""

from dataclasses import dataclass

from sqlalchemy import case, func, select

from ...extensions import db
from ...models import Contribution, Fundraiser, Screening, screening_hosts
from .rollup import base_currency


@dataclass(frozen=True)
class CurrencyTotal:
    """What was raised in one currency, and its base equivalent where converted."""

    currency: str
    amount_minor: int
    count: int
    base_amount_minor: int
    unconverted: int


@dataclass(frozen=True)
class Totals:
    """Base-currency total, with native subtotals and the count left unconverted."""

    base_currency: str
    base_amount_minor: int
    unconverted: int
    count: int
    by_currency: list[CurrencyTotal]


def totals(
    collective_ids: set[int] | None = None,
    public_only: bool = False,
    fundraiser_ids: set[int] | None = None,
) -> Totals:
    """Totals over all contributions, or those of some collectives or fundraisers, in SQL."""
    base = base_currency()
    converted = (Contribution.base_amount_minor.is_not(None)) & (Contribution.base_currency == base)
    query = (
        select(
            Contribution.currency,
            func.coalesce(func.sum(Contribution.amount_minor), 0),
            func.count(Contribution.id),
            func.coalesce(func.sum(case((converted, Contribution.base_amount_minor), else_=0)), 0),
            func.coalesce(func.sum(case((converted, 0), else_=1)), 0),
        )
        .group_by(Contribution.currency)
        .order_by(Contribution.currency)
    )
    if collective_ids is not None or public_only:
        query = query.join(Fundraiser, Contribution.fundraiser_id == Fundraiser.id)
    if fundraiser_ids is not None:
        query = query.where(Contribution.fundraiser_id.in_(fundraiser_ids))
    if public_only:
        query = query.where(Fundraiser.totals_public.is_(True))
    if collective_ids is not None:
        hosted = select(screening_hosts.c.screening_id).where(
            screening_hosts.c.collective_id.in_(collective_ids)
        )
        query = query.join(Screening, Fundraiser.screening_id == Screening.id).where(
            Screening.id.in_(hosted)
        )
    rows = [
        CurrencyTotal(currency, int(amount), int(count), int(base), int(unconverted))
        for currency, amount, count, base, unconverted in db.session.execute(query)
    ]
    return Totals(
        base_currency=base,
        base_amount_minor=sum(row.base_amount_minor for row in rows),
        unconverted=sum(row.unconverted for row in rows),
        count=sum(row.count for row in rows),
        by_currency=rows,
    )


def totals_for_fundraiser(fundraiser_id: int) -> Totals:
    """Totals of one fundraiser."""
    return totals(fundraiser_ids={fundraiser_id})


def raised_by_fundraiser(fundraiser_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(base minor units, unconverted count) raised per fundraiser, in one query."""
    if not fundraiser_ids:
        return {}
    base = base_currency()
    converted = (Contribution.base_amount_minor.is_not(None)) & (Contribution.base_currency == base)
    rows = db.session.execute(
        select(
            Contribution.fundraiser_id,
            func.coalesce(func.sum(case((converted, Contribution.base_amount_minor), else_=0)), 0),
            func.coalesce(func.sum(case((converted, 0), else_=1)), 0),
        )
        .where(Contribution.fundraiser_id.in_(fundraiser_ids))
        .group_by(Contribution.fundraiser_id)
    )
    return {fid: (int(amount), int(unconverted)) for fid, amount, unconverted in rows}
