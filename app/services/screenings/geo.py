"""GeoJSON for the public map: one Point per screening, placed where privacy allows."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Select, select

from ...extensions import db
from ...models import (
    City,
    Collective,
    Country,
    Film,
    Screening,
    Status,
    Venue,
    screening_hosts,
    utcnow,
)
from .. import localtime, privacy
from ..localtime import to_local
from .urls import public_path


def feature(screening: Screening, now: datetime) -> dict:
    """One Feature; the point is the city centre unless the address is public (section 5)."""
    lat, lon = privacy.public_point(screening, now)
    venue, public = screening.venue, privacy.address_is_public(screening, now)
    properties = {
        "id": screening.id,
        "title": screening.display_title,
        "url": public_path(screening),
        "starts_at": to_local(screening.starts_at, screening.timezone).isoformat(),
        "timezone": screening.timezone,
        "city": screening.city.name,
        "country_code": screening.city.country.code,
        "film": screening.film.title,
        "collectives": [c.name for c in screening.collectives],
        "status": screening.status.value,
        # A venue's name can give its place away as well as its address: both only when
        # the address is public (or released); otherwise the keys are there, empty.
        "venue": venue.name if public else None,
        "address": venue.address if public else None,
    }
    return {
        "type": "Feature",
        "id": screening.id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def feature_collection(screenings: list[Screening], now: datetime | None = None) -> dict:
    """A GeoJSON FeatureCollection (RFC 7946) of the screenings, in the order given."""
    now = now or utcnow()
    return {"type": "FeatureCollection",
            "features": [feature(screening, now) for screening in screenings]}


# Ids per query when reading the pins' details (a bound list each database takes).
_CHUNK = 500


@dataclass
class _Row:
    """What feature() and the privacy rules read of a screening, its venue, city and film,
    as plain attributes: thousands of pins without thousands of ORM objects."""

    id: int
    title: str | None
    starts_at: datetime
    timezone: str
    status: Status
    venue: SimpleNamespace
    city: SimpleNamespace
    film: SimpleNamespace
    collectives: list = field(default_factory=list)
    # Held while the rows live: ZoneInfo keeps only a few zones strongly, and reloading one
    # from the tz database for each of thousands of pins costs more than the rest together.
    zone: object = None

    @property
    def display_title(self) -> str:
        return self.title or self.film.title  # as Screening.display_title


def map_rows(query: Select, limit: int) -> list[_Row]:
    """The first `limit` screenings of a filtered, ordered select(Screening), in its order,
    read as plain rows (two statements per 500 pins) for feature()."""
    return [row for chunk in map_row_chunks(query, limit) for row in chunk]


def map_row_chunks(query: Select, limit: int) -> Iterator[list[_Row]]:
    """map_rows() a chunk at a time, so that a caller encoding each chunk as it comes never
    holds thousands of rows at once (a worker's peak memory is what it keeps)."""
    ids = list(db.session.scalars(query.with_only_columns(Screening.id).limit(limit)))
    zones: dict[str, object] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows: dict[int, _Row] = {}
        for r in db.session.execute(
            select(Screening.id, Screening.title, Screening.starts_at, Screening.timezone,
                   Screening.status, Venue.name, Venue.address, Venue.visibility,
                   Venue.address_release_at, Venue.lat, Venue.lon, City.name, City.lat,
                   City.lon, Country.code, Film.title)
            .join(Venue, Venue.id == Screening.venue_id).join(City, City.id == Screening.city_id)
            .join(Country, Country.id == City.country_id).join(Film, Film.id == Screening.film_id)
            .where(Screening.id.in_(chunk))
        ):
            rows[r[0]] = _Row(
                r[0], r[1], r[2], r[3], r[4],
                venue=SimpleNamespace(name=r[5], address=r[6], visibility=r[7],
                                      address_release_at=r[8], lat=r[9], lon=r[10]),
                city=SimpleNamespace(name=r[11], lat=r[12], lon=r[13],
                                     country=SimpleNamespace(code=r[14])),
                film=SimpleNamespace(title=r[15]), zone=zones.get(r[3]) or zones.setdefault(
                    r[3], localtime.zone(r[3])))
        hosts = (select(screening_hosts.c.screening_id, Collective.name)
                 .join(Collective, Collective.id == screening_hosts.c.collective_id)
                 .where(screening_hosts.c.screening_id.in_(chunk))
                 .order_by(Collective.name))  # as Screening.collectives
        for screening_id, name in db.session.execute(hosts):
            rows[screening_id].collectives.append(SimpleNamespace(name=name))
        yield [rows[i] for i in chunk]
