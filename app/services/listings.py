"""Short public lists of screenings: the collective, film and beneficiary pages and the embed."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Beneficiary, City, Collective, Film, Screening
from . import ledger
from .errors import NotFound
from .screenings import search

# Each subject page shows this many of each list, then links to the whole filtered list.
UPCOMING_LIMIT = 20
PAST_LIMIT = 10
EMBED_LIMIT = 20
# Which filter argument names each kind of subject, and its model.
SUBJECTS = {"collective": Collective, "film": Film, "beneficiary": Beneficiary}
_SLUG_LENGTH = 80


@dataclass(frozen=True)
class Capped:
    """The first screenings of a list, and whether the list goes on."""

    items: list[Screening]
    more: bool


@dataclass(frozen=True)
class SubjectPage:
    """What a collective's, film's or beneficiary's public page shows."""

    kind: str
    subject: Collective | Film | Beneficiary
    filters: search.ScreeningFilters
    upcoming: Capped
    past: Capped
    # Raised so far (base minor units, unconverted count) for the fundraisers whose hosts
    # made their totals public; the others are absent.
    raised: dict[int, tuple[int, int]] = field(default_factory=dict)


def capped(query, limit: int) -> Capped:
    """The first `limit` rows of an ordered select, fetching one more to know if there are more."""
    rows = list(db.session.scalars(query.limit(limit + 1)))
    return Capped(rows[:limit], len(rows) > limit)


# Whole sentences for the translators.
NOT_FOUND = {"collective": lazy_gettext("No such collective."),
             "film": lazy_gettext("No such film."),
             "beneficiary": lazy_gettext("No such beneficiary.")}


def subject(kind: str, slug: str) -> Collective | Film | Beneficiary:
    """The collective, film or beneficiary with this slug; NotFound otherwise."""
    model = SUBJECTS[kind]
    found = None
    if len(slug) <= _SLUG_LENGTH:
        query = select(model).where(model.slug == slug)
        if model is Collective:
            query = query.options(selectinload(Collective.home_city).selectinload(City.country))
        elif model is Film:
            query = query.options(selectinload(Film.texts))  # synopses in other languages
        found = db.session.scalar(query)
    if found is None:
        raise NotFound(str(NOT_FOUND[kind]))
    return found


def subject_page(kind: str, slug: str) -> SubjectPage:
    """A subject with its first upcoming and latest past public screenings."""
    item = subject(kind, slug)
    filters = search.ScreeningFilters(**{kind: item.slug})
    upcoming = capped(search.upcoming(filters), UPCOMING_LIMIT)
    past = capped(search.past(filters), PAST_LIMIT)
    shown = upcoming.items + past.items
    raised = ledger.raised_by_fundraiser(
        [s.fundraiser.id for s in shown if s.fundraiser.totals_public])
    return SubjectPage(kind, item, filters, upcoming, past, raised)


def embed_list(filters: search.ScreeningFilters) -> Capped:
    """The first upcoming public screenings matching the filters, for the embeddable widget."""
    return capped(search.upcoming(filters), EMBED_LIMIT)


def safe_website(url: str | None) -> str | None:
    """The URL when it is an http(s) address, else None (never a javascript: link)."""
    if not url:
        return None
    cleaned = url.strip()
    if cleaned.lower().startswith(("https://", "http://")) and not any(
            ch.isspace() or ord(ch) < 32 for ch in cleaned):
        return cleaned
    return None
