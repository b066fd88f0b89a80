"""The incident log: threats, harassment, venue pressure and disruption, kept private.

Members of a host collective (and coordinators) report against a screening of their
collective or against the collective itself; only coordinators and that collective's
admins read the log. Functions flush; the caller commits.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    City,
    Collective,
    Incident,
    IncidentKind,
    Screening,
    User,
    screening_hosts,
)
from . import audit, permissions
from .errors import NotFound, ValidationFailed

MAX_DESCRIPTION = 5000


@dataclass(frozen=True)
class Subject:
    """What an incident is reported against: a screening, or a collective."""

    screening: Screening | None = None
    collective: Collective | None = None


@dataclass(frozen=True)
class IncidentRow:
    """An incident with what it concerns, loaded for a page."""

    incident: Incident
    screening: Screening | None
    collective: Collective | None


def _may_report_on(user: User | None, collective_ids: set[int]) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_coordinator or bool(collective_ids & permissions.member_collective_ids(user))


def subject_for(user: User | None, *, screening_id: int | None = None,
                collective_slug: str | None = None) -> Subject:
    """The screening or collective this person may report against; NotFound otherwise."""
    if screening_id is not None:
        screening = db.session.scalar(
            select(Screening).where(Screening.id == screening_id).options(
                selectinload(Screening.collectives), selectinload(Screening.film),
                selectinload(Screening.city),
            )
        )
        if screening is not None and _may_report_on(user, {c.id for c in screening.collectives}):
            return Subject(screening=screening)
    elif collective_slug:
        collective = db.session.scalar(select(Collective).where(Collective.slug == collective_slug))
        if collective is not None and _may_report_on(user, {collective.id}):
            return Subject(collective=collective)
    raise NotFound(_("No such screening or collective."))


def reportable_collectives(user: User) -> list[Collective]:
    """The collectives this person may report an incident against."""
    return permissions.collectives_for_new_screening(user)


def report(actor: User, subject: Subject, *, kind: IncidentKind | str,
           description: str) -> Incident:
    """Log an incident; its description stays out of the audit trail (it may name people)."""
    ids = ({c.id for c in subject.screening.collectives} if subject.screening is not None
           else {subject.collective.id} if subject.collective is not None else set())
    if not _may_report_on(actor, ids):
        raise NotFound(_("No such screening or collective."))
    errors: dict[str, str] = {}
    try:
        kind = IncidentKind(kind)
    except ValueError:
        errors["kind"] = _("Choose what happened.")
    description = (description or "").strip()
    if not description:
        errors["description"] = _("Describe what happened.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("Use at most %(limit)s characters.", limit=MAX_DESCRIPTION)
    if errors:
        raise ValidationFailed(errors)
    incident = Incident(
        screening_id=subject.screening.id if subject.screening is not None else None,
        collective_id=subject.collective.id if subject.collective is not None else None,
        kind=kind, description=description, reported_by_id=actor.id,
    )
    db.session.add(incident)
    db.session.flush()
    audit.record(actor, "incident.report", incident, after={
        "kind": kind, "screening_id": incident.screening_id,
        "collective_id": incident.collective_id,
    })
    return incident


def readable_collective_ids(user: User | None) -> set[int] | None:
    """Whose incidents this person may read: None for all (coordinators), else admin ids."""
    if user is None or not user.is_authenticated:
        return set()
    if user.is_coordinator:
        return None
    return permissions.admin_collective_ids(user)


def can_read(user: User | None) -> bool:
    """Whether this person may read any part of the incident log."""
    ids = readable_collective_ids(user)
    return ids is None or bool(ids)


def _concerning(collective_ids: set[int]):
    """Incidents against these collectives or against a screening one of them hosts."""
    hosted = select(screening_hosts.c.screening_id).where(
        screening_hosts.c.collective_id.in_(collective_ids)
    )
    return or_(Incident.collective_id.in_(collective_ids), Incident.screening_id.in_(hosted))


def visible_query(user: User | None, *, collective_id: int | None = None,
                  kind: IncidentKind | None = None):
    """The incidents this person may read, newest first, optionally narrowed; NotFound if none."""
    readable = readable_collective_ids(user)
    if readable is not None and not readable:
        raise NotFound(_("No such page."))
    query = select(Incident).options(selectinload(Incident.reported_by))
    if readable is not None:
        query = query.where(_concerning(readable))
    if collective_id is not None:
        query = query.where(_concerning({collective_id}))
    if kind is not None:
        query = query.where(Incident.kind == kind)
    return query.order_by(Incident.created_at.desc(), Incident.id.desc())


def rows_for(incidents: list[Incident]) -> list[IncidentRow]:
    """The incidents with their screening and collective, in two queries (templates query none)."""
    screening_ids = {i.screening_id for i in incidents if i.screening_id is not None}
    collective_ids = {i.collective_id for i in incidents if i.collective_id is not None}
    found_screenings = {s.id: s for s in db.session.scalars(
        select(Screening).where(Screening.id.in_(screening_ids)).options(
            selectinload(Screening.film), selectinload(Screening.collectives),
            selectinload(Screening.city).selectinload(City.country),
        )
    )} if screening_ids else {}
    found_collectives = {c.id: c for c in db.session.scalars(
        select(Collective).where(Collective.id.in_(collective_ids))
    )} if collective_ids else {}
    return [IncidentRow(i, found_screenings.get(i.screening_id),
                        found_collectives.get(i.collective_id)) for i in incidents]


def collectives_for_filter() -> list[Collective]:
    """Every collective, by name, for the coordinators' filter."""
    return list(db.session.scalars(select(Collective).order_by(Collective.name)))


def collective_by_slug(slug: str) -> Collective | None:
    """The collective with this slug, if any."""
    return db.session.scalar(select(Collective).where(Collective.slug == slug))
