"""Which ledger rows a figure covers: the filters, and their WHERE clauses on ledger_days
or on any query exposing the same columns."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ...models import (
    PUBLIC_STATUSES,
    Beneficiary,
    Collective,
    ContributionState,
    Country,
    Film,
    Fundraiser,
    LedgerDay,
    Screening,
    screening_hosts,
)

STATES = tuple(ContributionState)
RAISED_STATES = (ContributionState.COLLECTED, ContributionState.TRANSFERRED,
                 ContributionState.CONFIRMED)


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


def _slug_id(model, column, value):
    return select(model.id).where(column == value).scalar_subquery()


def filter_conditions(filters: Filters, *, day, country_id, film_id, beneficiary_id,
                      fundraiser_id, screening_id=None) -> list:
    """WHERE clauses for the filters on any query that exposes these columns (ledger days,
    raw contributions, screenings with their fundraiser). `day` None skips the date range,
    for callers whose dates mean something else; `screening_id`, where the query has it,
    finds the hosts by screening (SQLite plans that far better on a screenings query)."""
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
    if hosted_by and screening_id is not None:
        where.append(screening_id.in_(select(screening_hosts.c.screening_id).where(*hosted_by)))
    elif hosted_by:
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
