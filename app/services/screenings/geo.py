"""GeoJSON for the public map: one Point per screening, placed where privacy allows."""

from datetime import datetime

from ...models import Screening, utcnow
from .. import privacy
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
