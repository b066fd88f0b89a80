"""Registering and editing a screening with its venue and fundraiser.

Functions flush; the caller commits.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import (
    PUBLIC_STATUSES,
    Beneficiary,
    City,
    Collective,
    Film,
    Fundraiser,
    Screening,
    Status,
    User,
    Venue,
    Visibility,
    utcnow,
)
from .. import audit, cities, content_languages, ledger, localtime, money, permissions
from ..errors import ValidationFailed

# Limits shared by forms and the service, so every entry point refuses the same input.
MAX_LENGTHS = {
    "title": 200, "description": 5000, "venue_name": 200, "venue_address": 500,
    "purpose": 500, "language": 35, "subtitles": 35,
}


@dataclass
class ScreeningInput:
    """What a person enters to register or edit a screening with its fundraiser."""

    film: str  # slug
    collective: str  # slug
    city: str
    country: str  # ISO 3166 code
    venue_name: str
    starts_at: datetime  # naive: wall-clock time in the city's zone
    beneficiary: str  # slug
    purpose: str
    venue_address: str = ""
    visibility: str = Visibility.CITY_ONLY
    title: str = ""
    description: str = ""
    language: str = ""
    subtitles: str = ""
    goal_amount: str = ""  # as typed; empty for no goal
    goal_currency: str = ""
    locale: str | None = None  # how goal_amount was typed ("1.234,50" in Italian)
    geonames_id: int | None = None  # picks the city exactly when given


@dataclass
class _Resolved:
    film: Film
    collective: Collective
    city: City
    beneficiary: Beneficiary
    visibility: Visibility
    starts_at: datetime
    goal_minor: int | None
    goal_currency: str | None
    language: str | None  # canonical codes ("uk"), None when not stated
    subtitles: str | None


def _by_slug(model, slug: str):
    return db.session.scalar(select(model).where(model.slug == (slug or "").strip()))


def _resolve(data: ScreeningInput, actor: User, stored: Screening | None = None) -> _Resolved:
    """Check every field against the rules and the database; all problems at once. `stored`:
    the screening being edited, whose languages typed before codes were required stay as they
    are while unchanged (an edit of another field must not fail on them)."""
    errors: dict[str, str] = {}
    for field, limit in MAX_LENGTHS.items():
        if len(getattr(data, field) or "") > limit:
            errors[field] = _("Use at most %(limit)s characters.", limit=limit)
    for field, message in (("venue_name", _("Enter the venue.")),
                           ("purpose", _("Enter what the money is for."))):
        if not (getattr(data, field) or "").strip():
            errors[field] = message

    film = _by_slug(Film, data.film)
    if film is None:
        errors["film"] = _("Choose a film from the list.")
    beneficiary = _by_slug(Beneficiary, data.beneficiary)
    if beneficiary is None:
        errors["beneficiary"] = _("Choose who the money is for.")
    collective = _by_slug(Collective, data.collective)
    allowed = {c.id for c in permissions.collectives_for_new_screening(actor)}
    if collective is None or collective.id not in allowed:
        errors["collective"] = _("Choose one of your collectives.")

    city = None
    try:
        if data.geonames_id:
            city = cities.by_geonames_id(data.geonames_id)
        else:
            cities.ensure_country(data.country or "")
            city = cities.resolve(data.city, data.country)
    except ValidationFailed as exc:
        errors.update(exc.fields)

    try:
        visibility = Visibility(data.visibility)
    except ValueError:
        errors["visibility"] = _("Choose who may see the address.")
        visibility = Visibility.CITY_ONLY

    # Codes or names ("Ukrainian", "ucraino"), stored as canonical codes ("uk").
    codes: dict[str, str | None] = {}
    for field in ("language", "subtitles"):
        typed = (getattr(data, field) or "").strip()
        codes[field] = content_languages.code_for(typed, data.locale) if typed else None
        if codes[field] is None and typed and stored is not None \
                and typed == getattr(stored, field):
            codes[field] = typed
        elif codes[field] is None and typed and field not in errors:
            errors[field] = _("Unknown language: use a code such as uk, it or pt-BR.")

    starts_at = None
    if city is not None:
        try:
            starts_at = localtime.local_to_utc(data.starts_at, city.timezone)
        except localtime.LocalTimeError as exc:
            errors["starts_at"] = str(exc)

    goal_minor = goal_currency = None
    if (data.goal_amount or "").strip():
        try:
            goal_currency = money.check_currency(data.goal_currency)
        except money.MoneyError as exc:
            errors["goal_currency"] = str(exc)
        else:
            try:
                goal_minor = money.parse(data.goal_amount, goal_currency, data.locale)
                if goal_minor == 0:
                    errors["goal_amount"] = _("A goal must be more than zero, or left empty.")
            except money.MoneyError as exc:
                errors["goal_amount"] = str(exc)

    if errors:
        raise ValidationFailed(errors)
    return _Resolved(film, collective, city, beneficiary, visibility, starts_at,
                     goal_minor, goal_currency, codes["language"], codes["subtitles"])


def _snapshot(screening: Screening) -> dict:
    """The audited view of a screening (never the venue address)."""
    return {
        "status": screening.status, "film": screening.film.slug, "city": screening.city.name,
        "starts_at": screening.starts_at.isoformat(), "visibility": screening.venue.visibility,
        "beneficiary": screening.fundraiser.beneficiary.slug,
        "goal_minor": screening.fundraiser.goal_amount_minor,
        "goal_currency": screening.fundraiser.goal_currency,
    }


def create(data: ScreeningInput, actor: User) -> Screening:
    """Register a draft screening with its venue and fundraiser."""
    r = _resolve(data, actor)
    venue = Venue(
        name=data.venue_name.strip(), address=data.venue_address.strip(), city=r.city,
        visibility=r.visibility,
    )
    screening = Screening(
        film=r.film, city=r.city, venue=venue, starts_at=r.starts_at, timezone=r.city.timezone,
        status=Status.DRAFT, title=data.title.strip() or None, description=data.description.strip(),
        language=r.language, subtitles=r.subtitles, created_by_id=actor.id,
        collectives=[r.collective],
    )
    screening.fundraiser = Fundraiser(
        beneficiary=r.beneficiary, purpose=data.purpose.strip(),
        goal_amount_minor=r.goal_minor, goal_currency=r.goal_currency,
    )
    db.session.add(screening)
    db.session.flush()
    audit.record(actor, "screening.create", screening, after=_snapshot(screening))
    return screening


def update(screening: Screening, data: ScreeningInput, actor: User) -> Screening:
    """Change a screening and its fundraiser from the same input as create()."""
    r = _resolve(data, actor, screening)
    before = _snapshot(screening)
    old_start, old_city_id = screening.starts_at, screening.city_id
    # The ledger's sums carry the film, city and beneficiary they are counted under.
    old_dims = (screening.film_id, screening.city_id, screening.fundraiser.beneficiary_id)
    # One UPDATE per row: no flush while the edit is half applied.
    with db.session.no_autoflush:
        screening.film, screening.city = r.film, r.city
        screening.starts_at, screening.timezone = r.starts_at, r.city.timezone
        screening.title = data.title.strip() or None
        screening.description = data.description.strip()
        screening.language, screening.subtitles = r.language, r.subtitles
        if r.collective not in screening.collectives:
            screening.collectives = [r.collective]
        venue = screening.venue
        venue.name, venue.address = data.venue_name.strip(), data.venue_address.strip()
        venue.city, venue.visibility = r.city, r.visibility
        fundraiser = screening.fundraiser
        fundraiser.beneficiary, fundraiser.purpose = r.beneficiary, data.purpose.strip()
        fundraiser.goal_amount_minor, fundraiser.goal_currency = r.goal_minor, r.goal_currency
        # Venue and fundraiser have no version of their own: a change to them touches the
        # screening row, so its version check guards them too.
        if db.session.is_modified(venue) or db.session.is_modified(fundraiser):
            screening.updated_at = utcnow()
        # Calendars that already hold a public screening must pick up a new time or place.
        moved = (r.starts_at != old_start or r.city.id != old_city_id
                 or db.session.is_modified(venue))
        if moved and screening.status in PUBLIC_STATUSES:
            screening.sequence = (screening.sequence or 0) + 1
    db.session.flush()
    if old_dims != (screening.film_id, screening.city_id, screening.fundraiser.beneficiary_id):
        ledger.refile(fundraiser)
    audit.record(actor, "screening.update", screening, before=before, after=_snapshot(screening))
    return screening


def input_from(screening: Screening, locale: str | None = None) -> ScreeningInput:
    """The input that would recreate this screening, to fill an edit form."""
    fundraiser = screening.fundraiser
    local = localtime.to_local(screening.starts_at, screening.timezone).replace(tzinfo=None)
    goal = (money.format_input(fundraiser.goal_amount_minor, fundraiser.goal_currency, locale)
            if fundraiser.goal_amount_minor else "")
    return ScreeningInput(
        film=screening.film.slug, collective=screening.collectives[0].slug,
        city=screening.city.name, country=screening.city.country.code,
        venue_name=screening.venue.name, venue_address=screening.venue.address,
        visibility=screening.venue.visibility, starts_at=local,
        beneficiary=fundraiser.beneficiary.slug, purpose=fundraiser.purpose,
        title=screening.title or "", description=screening.description,
        language=screening.language or "", subtitles=screening.subtitles or "",
        goal_amount=goal, goal_currency=fundraiser.goal_currency or "", locale=locale,
    )
