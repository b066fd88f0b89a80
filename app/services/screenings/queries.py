"""Finding screenings: one for editing or for the public, and the lists pages show."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    PUBLIC_STATUSES,
    City,
    Fundraiser,
    Screening,
    ScreeningChange,
    Status,
    User,
    screening_hosts,
    utcnow,
)
from .. import permissions
from ..errors import NotFound

# A screening still counts as upcoming for this long after it starts (it may be running).
RUNNING_GRACE = timedelta(hours=3)


def _with_everything(query):
    """Eager-load what pages show, so templates run no queries."""
    return query.options(
        selectinload(Screening.film),
        selectinload(Screening.city).selectinload(City.country),
        selectinload(Screening.venue),
        selectinload(Screening.collectives),
        selectinload(Screening.fundraiser).selectinload(Fundraiser.beneficiary),
        selectinload(Screening.changes),
    )


def get_editable(screening_id: int, user: User) -> Screening:
    """A screening the user may edit; NotFound if missing or another collective's."""
    screening = db.session.scalar(
        _with_everything(select(Screening).where(Screening.id == screening_id)).options(
            # The organiser page lists the venue history with the old addresses.
            selectinload(Screening.changes).selectinload(ScreeningChange.from_venue),
            selectinload(Screening.changes).selectinload(ScreeningChange.to_venue),
            selectinload(Screening.texts),  # the edit form's descriptions in other languages
        )
    )
    if screening is None or not permissions.can_edit_screening(screening, user):
        raise NotFound(_("No such screening."))
    return screening


def get_public(screening_id: int) -> Screening:
    """A screening the public may see; NotFound for drafts and submissions."""
    screening = db.session.scalar(
        _with_everything(select(Screening)).where(
            Screening.id == screening_id, Screening.status.in_(PUBLIC_STATUSES)
        ).options(selectinload(Screening.texts))  # its page shows the other languages' texts
    )
    if screening is None:
        raise NotFound(_("No such screening."))
    return screening


def upcoming_query(now: datetime | None = None):
    """Public screenings that have not finished, soonest first.

    A postponed screening stays here until it gets a new date or is cancelled, even when
    its old date has passed: it has not taken place.
    """
    since = (now or utcnow()) - RUNNING_GRACE
    return _with_everything(
        select(Screening)
        .where(Screening.status.in_(PUBLIC_STATUSES),
               or_(Screening.starts_at >= since, Screening.status == Status.POSTPONED))
        .order_by(Screening.starts_at, Screening.id)
    )


def past_query(now: datetime | None = None):
    """Public screenings that have taken place, latest first (never a postponed one)."""
    since = (now or utcnow()) - RUNNING_GRACE
    return _with_everything(
        select(Screening)
        .where(Screening.status.in_(PUBLIC_STATUSES), Screening.status != Status.POSTPONED,
               Screening.starts_at < since)
        .order_by(Screening.starts_at.desc(), Screening.id.desc())
    )


def for_collectives_query(collective_ids: set[int]):
    """Every screening hosted by any of these collectives, newest date first."""
    hosted = select(screening_hosts.c.screening_id).where(
        screening_hosts.c.collective_id.in_(collective_ids)
    )
    return _with_everything(
        select(Screening).where(Screening.id.in_(hosted)).order_by(Screening.starts_at.desc())
    )


def all_query():
    """Every screening, newest date first (for coordinators)."""
    return _with_everything(select(Screening).order_by(Screening.starts_at.desc(), Screening.id))


def awaiting_approval() -> list[Screening]:
    """Submitted screenings waiting for a coordinator, oldest submission first."""
    return list(db.session.scalars(
        _with_everything(select(Screening))
        .where(Screening.status == Status.SUBMITTED)
        .order_by(Screening.submitted_at, Screening.id)
    ))
