"""Recording contributions, converting them to the base currency, and totals by SQL."""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import case, func, select

from ..extensions import db
from ..models import (
    Channel,
    Contribution,
    ContributionState,
    ExchangeRate,
    Fundraiser,
    Screening,
    User,
    screening_hosts,
)
from . import audit, money
from .errors import ValidationFailed


def contributions_of(fundraiser_id: int) -> list[Contribution]:
    """A fundraiser's contributions, oldest first."""
    return list(db.session.scalars(
        select(Contribution).where(Contribution.fundraiser_id == fundraiser_id)
        .order_by(Contribution.received_on, Contribution.id)
    ))


def base_currency() -> str:
    """The configured base currency (EUR unless BASE_CURRENCY says otherwise)."""
    return current_app.config["BASE_CURRENCY"]


def rate_for(currency: str, on: date) -> ExchangeRate | None:
    """The latest rate for the currency valid on or before the day, if any."""
    return db.session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.currency == currency, ExchangeRate.valid_on <= on)
        .order_by(ExchangeRate.valid_on.desc())
        .limit(1)
    )


def convert(contribution: Contribution) -> None:
    """Store the base amount and the rate used; without a usable rate it stays unconverted."""
    base = base_currency()
    contribution.base_currency = base
    if contribution.currency == base:
        contribution.base_amount_minor = contribution.amount_minor
        contribution.rate_per_base, contribution.rate_valid_on = 1, None
        return
    rate = rate_for(contribution.currency, contribution.received_on)
    if rate is None:
        contribution.base_amount_minor = contribution.rate_per_base = None
        contribution.rate_valid_on = None
        return
    contribution.base_amount_minor = money.convert_to_base(
        contribution.amount_minor, contribution.currency, rate.per_base, base
    )
    contribution.rate_per_base, contribution.rate_valid_on = rate.per_base, rate.valid_on


def record_contribution(
    fundraiser: Fundraiser,
    actor: User,
    *,
    amount: str,
    currency: str,
    received_on: date,
    channel: Channel | str,
    state: ContributionState | str = ContributionState.COLLECTED,
    note: str = "",
    today: date | None = None,
) -> Contribution:
    """Add a contribution (amount as typed, e.g. "120.50") converted to the base currency.

    Every problem comes back at once as field errors; flushes only.
    """
    errors: dict[str, str] = {}
    amount_minor = 0
    try:
        currency = money.check_currency(currency)
    except money.MoneyError as exc:
        errors["currency"] = str(exc)
    else:
        try:
            amount_minor = money.parse(amount, currency)
        except money.MoneyError as exc:
            errors["amount"] = str(exc)
        else:
            if amount_minor <= 0:
                errors["amount"] = "The amount must be greater than zero."
    try:
        channel = Channel(channel)
    except ValueError:
        errors["channel"] = "Choose how the money came in."
    try:
        state = ContributionState(state)
    except ValueError:
        errors["state"] = "Choose the state of the money."
    today = today or date.today()
    if state != ContributionState.PLEDGED and received_on > today:
        errors["received_on"] = "Money already received cannot have a date in the future."
    if errors:
        raise ValidationFailed(errors)

    contribution = Contribution(
        fundraiser_id=fundraiser.id, amount_minor=amount_minor, currency=currency,
        received_on=received_on, channel=channel, state=state, note=note,
        recorded_by_id=actor.id,
    )
    convert(contribution)  # before add(): the rate query must not flush a half-built row
    db.session.add(contribution)
    db.session.flush()
    audit.record(
        actor, "contribution.create", contribution,
        after={"amount": money.format_plain(amount_minor, currency), "currency": currency,
               "state": state, "base_amount_minor": contribution.base_amount_minor},
    )
    return contribution


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
