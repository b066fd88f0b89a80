"""Screening filters shared by the list, the map, the feeds, the embed and the API:
country, city, film, collective, beneficiary, status, a date range and "near a city"."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import (
    PUBLIC_STATUSES,
    Beneficiary,
    City,
    Collective,
    Country,
    Film,
    Fundraiser,
    Screening,
    Status,
    screening_hosts,
)
from ..errors import ValidationFailed
from ..query_args import iso_date, require_known
from .queries import past_query, upcoming_query

ARGS = ("country", "city", "film", "collective", "beneficiary", "status", "from", "to", "near",
        "radius")
MAX_RADIUS_KM = 1000
DEFAULT_RADIUS_KM = 50
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class ScreeningFilters:
    """Checked filters; ids resolved from the slugs and codes people put in URLs."""

    country: str | None = None
    city_id: int | None = None
    film: str | None = None
    collective: str | None = None
    beneficiary: str | None = None
    status: Status | None = None
    date_from: date | None = None
    date_to: date | None = None
    near_city_id: int | None = None
    radius_km: int | None = None
    # Cities within the radius of near_city_id (filled by parse_filters).
    near_city_ids: frozenset[int] = field(default_factory=frozenset)


def _positive_int(value: str, name: str, errors: dict[str, str]) -> int | None:
    if not value:
        return None
    if value.isascii() and value.isdigit() and len(value) <= 9 and int(value) > 0:
        return int(value)
    errors[name] = _("Use a positive whole number.")
    return None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def cities_near(center: City, radius_km: int) -> frozenset[int]:
    """Ids of the known cities whose centre lies within the radius (a bounding box in SQL,
    then the exact distance). City centres only: a venue's own point never enters it."""
    dlat = radius_km / 111.0
    dlon = radius_km / max(1.0, 111.0 * math.cos(math.radians(center.lat)))
    rows = db.session.execute(
        select(City.id, City.lat, City.lon).where(
            City.lat.between(center.lat - dlat, center.lat + dlat),
            City.lon.between(center.lon - dlon, center.lon + dlon),
        )
    )
    return frozenset(cid for cid, lat, lon in rows
                     if distance_km(center.lat, center.lon, lat, lon) <= radius_km)


def parse_filters(args: Mapping[str, str], *, allow_status: bool = False) -> ScreeningFilters:
    """Filters from request arguments; ValidationFailed names each argument at fault."""
    errors: dict[str, str] = {}
    values = {name: (args.get(name) or "").strip() for name in ARGS}
    country = values["country"].upper()
    if country:
        require_known(Country, Country.code, country, "country", errors)
    for name, model in (("film", Film), ("collective", Collective),
                        ("beneficiary", Beneficiary)):
        if values[name]:
            require_known(model, model.slug, values[name], name, errors)
    city_id = _positive_int(values["city"], "city", errors)
    if city_id is not None and db.session.get(City, city_id) is None:
        errors["city"] = _("There is no such city.")
    status = None
    if values["status"]:
        allowed = Status if allow_status else PUBLIC_STATUSES
        try:
            status = Status(values["status"])
        except ValueError:
            status = None
        if status not in allowed:
            errors["status"] = _("Use one of: %(values)s.",
                                 values=", ".join(s.value for s in allowed))
    date_from = iso_date(values["from"], "from", errors)
    date_to = iso_date(values["to"], "to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = _("The end date is before the start date.")
    near_city_id = _positive_int(values["near"], "near", errors)
    radius = None
    if values["radius"]:
        radius = _positive_int(values["radius"], "radius", errors)
        if radius is not None and radius > MAX_RADIUS_KM:
            errors["radius"] = _("Use at most %(limit)s km.", limit=MAX_RADIUS_KM)
    near_ids: frozenset[int] = frozenset()
    if near_city_id is not None:
        center = db.session.get(City, near_city_id)
        if center is None:
            errors["near"] = _("There is no such city.")
        elif "radius" not in errors:
            radius = radius or DEFAULT_RADIUS_KM
            near_ids = cities_near(center, radius)
    elif values["radius"] and "radius" not in errors:
        errors["near"] = _("Choose the city to measure the distance from.")
    if errors:
        raise ValidationFailed(errors)
    return ScreeningFilters(
        country=country or None, city_id=city_id, film=values["film"] or None,
        collective=values["collective"] or None, beneficiary=values["beneficiary"] or None,
        status=status, date_from=date_from, date_to=date_to, near_city_id=near_city_id,
        radius_km=radius if near_city_id else None, near_city_ids=near_ids,
    )


def to_args(filters: ScreeningFilters) -> dict[str, str]:
    """The query-string arguments that reproduce the filters (links, feeds, embeds)."""
    pairs = {
        "country": filters.country, "city": filters.city_id, "film": filters.film,
        "collective": filters.collective, "beneficiary": filters.beneficiary,
        "status": filters.status.value if filters.status else None,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
        "near": filters.near_city_id, "radius": filters.radius_km,
    }
    return {name: str(value) for name, value in pairs.items() if value}


def apply(query, filters: ScreeningFilters):
    """Narrow a select(Screening) by the filters. Dates compare the screening's start in UTC
    over whole days (a day's last screening near midnight in Kyiv may fall either side)."""
    if filters.country:
        query = query.where(Screening.city_id.in_(
            select(City.id).join(Country, City.country_id == Country.id)
            .where(Country.code == filters.country)))
    if filters.city_id is not None:
        query = query.where(Screening.city_id == filters.city_id)
    if filters.near_city_id is not None:
        query = query.where(Screening.city_id.in_(filters.near_city_ids))
    if filters.film:
        query = query.where(Screening.film_id == select(Film.id).where(
            Film.slug == filters.film).scalar_subquery())
    if filters.collective:
        query = query.where(Screening.id.in_(
            select(screening_hosts.c.screening_id).join(
                Collective, Collective.id == screening_hosts.c.collective_id)
            .where(Collective.slug == filters.collective)))
    if filters.beneficiary:
        query = query.where(Screening.id.in_(
            select(Fundraiser.screening_id).join(
                Beneficiary, Beneficiary.id == Fundraiser.beneficiary_id)
            .where(Beneficiary.slug == filters.beneficiary)))
    if filters.status is not None:
        query = query.where(Screening.status == filters.status)
    if filters.date_from is not None:
        query = query.where(Screening.starts_at >= datetime.combine(filters.date_from, time.min,
                                                                    UTC))
    if filters.date_to is not None:
        query = query.where(Screening.starts_at < datetime.combine(
            filters.date_to + timedelta(days=1), time.min, UTC))
    return query


def upcoming(filters: ScreeningFilters):
    """Upcoming public screenings matching the filters, soonest first (eager-loaded)."""
    return apply(upcoming_query(), filters)


def past(filters: ScreeningFilters):
    """Past public screenings matching the filters, latest first (eager-loaded)."""
    return apply(past_query(), filters)
