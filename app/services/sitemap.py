"""What the sitemap lists: public screenings, and the collectives, films and beneficiaries
that have any, each with the time it last changed. Only public things, never a draft."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    PUBLIC_STATUSES,
    Beneficiary,
    City,
    Collective,
    Film,
    Fundraiser,
    Screening,
    screening_hosts,
)
from .screenings import urls

# The sitemap protocol's limit for one file; past it the newest changes are kept.
MAX_URLS = 50_000


@dataclass(frozen=True)
class ScreeningEntry:
    """A public screening's page: its id, the slug in its address, and when it changed."""

    id: int
    slug: str
    lastmod: datetime


@dataclass(frozen=True)
class SubjectEntry:
    """A collective, film or beneficiary page: kind ("collective"...), slug and last change."""

    kind: str
    slug: str
    lastmod: datetime


@dataclass(frozen=True)
class Sitemap:
    """Everything the sitemap lists; latest is the newest change of any public screening."""

    latest: datetime | None
    screenings: list[ScreeningEntry]
    subjects: list[SubjectEntry]


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back aggregates without the column's type on some paths: tag them as UTC.
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _subjects(kind: str, model, link) -> list[SubjectEntry]:
    """Subjects with at least one public screening; lastmod is their own or a screening's."""
    query = select(model.slug, model.updated_at, func.max(Screening.updated_at)).select_from(model)
    for target, onclause in link:
        query = query.join(target, onclause)
    query = (query.where(Screening.status.in_(PUBLIC_STATUSES))
             .group_by(model.id, model.slug, model.updated_at).order_by(model.slug))
    return [SubjectEntry(kind, slug, max(_utc(own), _utc(latest) or _utc(own)))
            for slug, own, latest in db.session.execute(query)]


def build() -> Sitemap:
    """The public pages to list, in a handful of queries whatever the number of screenings."""
    subjects = (
        _subjects("collective", Collective, [
            (screening_hosts, screening_hosts.c.collective_id == Collective.id),
            (Screening, Screening.id == screening_hosts.c.screening_id)])
        + _subjects("film", Film, [(Screening, Screening.film_id == Film.id)])
        + _subjects("beneficiary", Beneficiary, [
            (Fundraiser, Fundraiser.beneficiary_id == Beneficiary.id),
            (Screening, Screening.id == Fundraiser.screening_id)])
    )
    room = max(0, MAX_URLS - len(subjects) - 3)  # 3: the list, the archive, transparency
    rows = db.session.execute(
        select(Screening.id, Screening.title, Film.title, City.name, Screening.updated_at)
        .join(Film, Film.id == Screening.film_id).join(City, City.id == Screening.city_id)
        .where(Screening.status.in_(PUBLIC_STATUSES))
        .order_by(Screening.updated_at.desc(), Screening.id.desc())
        .limit(room)
    )
    screenings = [ScreeningEntry(sid, urls.slug(title or film_title, city), _utc(changed))
                  for sid, title, film_title, city, changed in rows]
    latest = max((entry.lastmod for entry in screenings), default=None)
    return Sitemap(latest, sorted(screenings, key=lambda e: e.id), subjects)
