"""The public's view of the money: what the tour raised where totals are public, and a
fundraiser's progress towards its goal. Aggregates only; never a single contribution."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func, select

from ..extensions import db
from ..models import Fundraiser, LedgerDay
from . import ledger, localtime, money
from .ledger.aggregates import RAISED_STATES, conditions


@dataclass(frozen=True)
class PublicSummary:
    """What /transparency shows: public fundraisers on public screenings, aggregated only."""

    totals: ledger.Totals
    screenings: int
    by_beneficiary: list[ledger.Group]
    by_film: list[ledger.Group]
    by_country: list[ledger.Group]


def public_summary() -> PublicSummary:
    """The tour's raised money by beneficiary, film and country, counting only fundraisers
    whose totals are public on screenings the public may see."""
    filters = ledger.Filters(public_only=True)
    screenings = db.session.scalar(
        select(func.count(distinct(LedgerDay.fundraiser_id)))
        .where(*conditions(filters), LedgerDay.state.in_(RAISED_STATES))
    ) or 0

    def raised(group_by: str) -> list[ledger.Group]:
        # A group with nothing but pledges has raised nothing yet.
        return [g for g in ledger.breakdown(group_by, filters) if g.count]

    return PublicSummary(
        totals=ledger.totals(filters), screenings=int(screenings),
        by_beneficiary=raised("beneficiary"), by_film=raised("film"),
        by_country=raised("country"),
    )


@dataclass(frozen=True)
class GoalProgress:
    """Raised money (base currency) against a fundraiser's goal (its own currency)."""

    goal_minor: int
    goal_currency: str
    base_currency: str
    raised_minor: int
    goal_base_minor: int | None  # None: no rate to compare the two
    rate_valid_on: date | None = None  # the rate used, when the goal is in another currency

    @property
    def percent(self) -> int | None:
        """Whole percent of the goal raised (may pass 100); None when not comparable."""
        if not self.goal_base_minor:  # no rate (or a goal worth less than a cent)
            return None
        return self.raised_minor * 100 // self.goal_base_minor

    @property
    def bar_value(self) -> int | None:
        """The percent for a progress bar, which stops at 100."""
        return None if self.percent is None else min(self.percent, 100)


def goal_progress(fundraiser: Fundraiser, totals: ledger.Totals | None) -> GoalProgress | None:
    """Progress towards the goal when the totals are public and there is a goal.

    A goal in another currency is converted at the rate valid on the screening's local date;
    without one, the figures are shown side by side and not compared.
    """
    if totals is None or not fundraiser.totals_public or fundraiser.goal_amount_minor is None:
        return None
    base, currency = totals.base_currency, fundraiser.goal_currency
    goal_base, valid_on = None, None
    if currency == base:
        goal_base = fundraiser.goal_amount_minor
    else:
        screening = fundraiser.screening
        day = localtime.to_local(screening.starts_at, screening.timezone).date()
        rate = ledger.rate_for(currency, day)
        if rate is not None:
            goal_base = money.convert_to_base(fundraiser.goal_amount_minor, currency,
                                              rate.per_base, base)
            valid_on = rate.valid_on
    return GoalProgress(fundraiser.goal_amount_minor, currency, base,
                        totals.base_amount_minor, goal_base, valid_on)
