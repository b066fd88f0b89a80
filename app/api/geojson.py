"""GET /api/v1/screenings.geojson: the public map's pins, with the list's filters, an ETag
and a short shared cache (the answer is the same for everyone: public screenings only)."""

import hashlib
import json
from collections import OrderedDict
from datetime import datetime
from threading import Lock

from flask import Response, request
from sqlalchemy import Select, case, func, select

from ..extensions import db
from ..models import City, Collective, Film, Venue, screening_hosts, utcnow
from ..services.screenings import geo, search
from . import screening_args
from .blueprint import bp

MAX_FEATURES = 5000
MEDIA_TYPE = "application/geo+json"
CACHE_CONTROL = "public, max-age=60"
# Rendered bodies by ETag: a map reloading the same filters costs one aggregate query. Small:
# app/public_cache keeps the anonymous answers; this serves the logged-in maps.
_BODY_BUDGET = 4 * 1024 * 1024
_bodies: "OrderedDict[str, bytes]" = OrderedDict()
_bodies_lock = Lock()


def fingerprint(query: Select, now: datetime) -> tuple:
    """What the answer depends on, in one query: which screenings match (count, id sum), the
    newest change to them, their venues, films, cities, hosts and the collectives, and how
    many addresses are released by `now` (a release changes the answer without an edit)."""
    matched = query.order_by(None).subquery()
    released = case((Venue.address_release_at <= now, 1), else_=0)
    row = db.session.execute(
        select(func.count(matched.c.id), func.sum(matched.c.id), func.max(matched.c.updated_at),
               func.max(Venue.updated_at), func.max(Film.updated_at),
               func.max(City.updated_at), func.sum(released),
               select(func.max(Collective.updated_at)).scalar_subquery())
        .select_from(matched)
        .join(Venue, Venue.id == matched.c.venue_id)
        .join(Film, Film.id == matched.c.film_id)
        .join(City, City.id == matched.c.city_id)
    ).one()
    # Changing the host replaces a row of screening_hosts without touching the screening.
    hosts = db.session.execute(
        select(func.count(), func.sum(screening_hosts.c.collective_id),
               func.max(screening_hosts.c.updated_at))
        .where(screening_hosts.c.screening_id.in_(select(matched.c.id)))
    ).one()
    return tuple(str(value) for value in (*row, *hosts))


def _etag(which: str, chosen: search.ScreeningFilters, print_: tuple) -> str:
    key = json.dumps([which, sorted(search.to_args(chosen).items()), print_, MAX_FEATURES])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _remember(etag: str, body: bytes) -> None:
    with _bodies_lock:
        _bodies[etag] = body
        _bodies.move_to_end(etag)
        while sum(len(b) for b in _bodies.values()) > _BODY_BUDGET and len(_bodies) > 1:
            _bodies.popitem(last=False)


def _recall(etag: str) -> bytes | None:
    with _bodies_lock:
        body = _bodies.get(etag)
        if body is not None:
            _bodies.move_to_end(etag)
        return body


def render(query: Select, now: datetime) -> bytes:
    """The FeatureCollection of at most MAX_FEATURES screenings; `truncated` when cut."""
    # Each feature is encoded as its chunk of rows arrives: thousands of pins never exist as
    # rows and dicts at once (that peak would stay in the worker's memory for good).
    encoded: list[str] = []
    for chunk in geo.map_row_chunks(query, MAX_FEATURES + 1):
        encoded.extend(json.dumps(geo.feature(row, now), ensure_ascii=False,
                                  separators=(",", ":")) for row in chunk)
    truncated = len(encoded) > MAX_FEATURES
    features = ",".join(encoded[:MAX_FEATURES])
    return (f'{{"type":"FeatureCollection","features":[{features}],'
            f'"truncated":{"true" if truncated else "false"}}}').encode()


def _current() -> tuple[str, bytes | None]:
    """The ETag for the request's filters, from one aggregate query, and the body when the
    client does not hold it already (rendered only when no earlier request stored it).

    Anonymous requests mostly never get here: app/public_cache answers them. It asks this view
    again after every write, so nothing here may trust an answer for a while without the
    database (a body up to date a few seconds ago would be stored under the new revision).
    """
    which = screening_args.when("upcoming")
    chosen = screening_args.filters()
    # One moment for the fingerprint and the rendering: the cached body never shows an
    # address released later than the ETag it is filed under says.
    now = utcnow()
    query = screening_args.public_query(which, chosen, now)
    etag = _etag(which, chosen, fingerprint(query, now))
    body = _recall(etag)
    if body is None and not request.if_none_match.contains_weak(etag):
        body = render(query, now)
        _remember(etag, body)
    return etag, body


@bp.get("/screenings.geojson")
def screenings_geojson():
    """Public screenings as GeoJSON (upcoming unless `when` says otherwise)."""
    etag, body = _current()
    headers = {"ETag": f'"{etag}"', "Cache-Control": CACHE_CONTROL}
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype=MEDIA_TYPE, headers=headers)
