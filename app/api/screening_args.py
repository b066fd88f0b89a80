"""Query arguments shared by the screening list and the GeoJSON: the list's filters (the same
ones the pages, feeds and map use) and `when` (upcoming, past or all)."""

from datetime import datetime

from flask import request
from sqlalchemy import Select

from ..models import PUBLIC_STATUSES, Screening
from ..services.errors import ValidationFailed
from ..services.screenings import all_query, past_query, search, upcoming_query
from .errors import ApiError

WHEN = ("upcoming", "past", "all")


def filters(*, allow_status: bool = False) -> search.ScreeningFilters:
    """The checked filters; 400 naming each argument at fault (query errors are 400s)."""
    try:
        return search.parse_filters(request.args, allow_status=allow_status)
    except ValidationFailed as exc:
        raise ApiError(400, "bad_request", "The filter is not acceptable.", exc.fields) from None


def when(default: str) -> str:
    """upcoming, past or all; 400 for anything else."""
    value = (request.args.get("when") or default).strip()
    if value not in WHEN:
        raise ApiError(400, "bad_request", "The filter is not acceptable.",
                       {"when": "Use one of: " + ", ".join(WHEN) + "."})
    return value


def by_date(query: Select) -> Select:
    """The same select, soonest first (id breaks ties, so pages never overlap)."""
    return query.order_by(None).order_by(Screening.starts_at, Screening.id)


def public_query(which: str, chosen: search.ScreeningFilters,
                 now: datetime | None = None) -> Select:
    """Public screenings matching the filters (eager-loaded): upcoming soonest first, past
    latest first, all soonest first."""
    if which == "upcoming":
        return search.apply(upcoming_query(now), chosen)
    if which == "past":
        return search.apply(past_query(now), chosen)
    return search.apply(by_date(all_query().where(Screening.status.in_(PUBLIC_STATUSES))),
                        chosen)
