"""GET /api/v1/screenings.geojson: the public map's pins, with the list's filters, an ETag
and a short shared cache (the answer is the same for everyone: public screenings only)."""

import hashlib
import json
import time
from collections import OrderedDict
from datetime import datetime
from threading import Lock

from flask import Response, current_app, request
from sqlalchemy import Select, case, func, select

from ..extensions import db
from ..models import City, Collective, Film, Venue, screening_hosts, utcnow
from ..services.screenings import geo, search
from . import screening_args
from .blueprint import bp

MAX_FEATURES = 5000
MEDIA_TYPE = "application/geo+json"
CACHE_CONTROL = "public, max-age=60"
# Rendered bodies by ETag: a map reloading the same filters costs one aggregate query.
_BODY_BUDGET = 64 * 1024 * 1024
_bodies: "OrderedDict[str, bytes]" = OrderedDict()
_bodies_lock = Lock()
# The ETag last computed for each query string, and until when it is trusted.
_MAX_ETAGS = 1024
_etags: "OrderedDict[tuple, tuple[float, str]]" = OrderedDict()


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
    rows = list(db.session.scalars(query.limit(MAX_FEATURES + 1)))
    collection = geo.feature_collection(rows[:MAX_FEATURES], now)
    collection["truncated"] = len(rows) > MAX_FEATURES
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()


def _fresh_seconds() -> float:
    """How long an ETag is trusted without asking the database again: GEOJSON_FRESH_SECONDS
    (default 5, well inside the max-age=60 every cache may keep the answer anyway; 0 under
    tests, whose database is emptied between tests that ask the same question)."""
    default = 0 if current_app.testing else 5
    return float(current_app.config.get("GEOJSON_FRESH_SECONDS", default))


def _request_key() -> tuple:
    return tuple(request.args.get(name, "") for name in (*search.ARGS, "when"))


def _known_etag(key: tuple) -> str | None:
    with _bodies_lock:
        entry = _etags.get(key)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def _note_etag(key: tuple, etag: str) -> None:
    seconds = _fresh_seconds()
    if seconds <= 0:
        return
    with _bodies_lock:
        _etags[key] = (time.monotonic() + seconds, etag)
        _etags.move_to_end(key)
        while len(_etags) > _MAX_ETAGS:
            _etags.popitem(last=False)


def _current(key: tuple) -> tuple[str, bytes | None]:
    """The ETag for the request's filters and, if cached, its body: from the recent answers,
    else from one aggregate query (the body rendered only when no cache holds it)."""
    etag = _known_etag(key)
    if etag is not None:
        body = _recall(etag)
        if body is not None:
            return etag, body
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
    _note_etag(key, etag)
    return etag, body


@bp.get("/screenings.geojson")
def screenings_geojson():
    """Public screenings as GeoJSON (upcoming unless `when` says otherwise)."""
    etag, body = _current(_request_key())
    headers = {"ETag": f'"{etag}"', "Cache-Control": CACHE_CONTROL}
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype=MEDIA_TYPE, headers=headers)
