"""The whole-response cache of anonymous public GETs (app/public_cache): a hit is the miss
byte for byte, writes anywhere and the clock invalidate it, nothing personal is kept."""

import gzip
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import make_response, render_template_string
from sqlalchemy import delete, select, text, update

from app import create_app, public_cache
from app.extensions import db
from app.models import City, Country, Role, Screening, Status, Venue
from app.models.ops import Revision
from app.public_cache.middleware import PublicCache, accepts_gzip
from app.public_cache.store import Store, make_entry
from app.services import revisions
from app.services.screenings.queries import RUNNING_GRACE
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page
from tests.test_query_counts import counted_queries

SECRET_VENUE, SECRET_ADDRESS = "Hidden Cellar Club", "Kellarikatu 13 B"
OPEN_ADDRESS = "Avoinkatu 1"
GEOJSON = "/api/v1/screenings.geojson"


@pytest.fixture(autouse=True)
def known_cities():
    db.session.add(City(name="Helsinki", country=Country(code="FI", name="Finland"),
                        lat=60.16952, lon=24.93545, timezone="Europe/Helsinki",
                        geonames_id=658225))
    db.session.commit()


def local(days: float) -> datetime:
    """A naive Helsinki wall-clock time about `days` from now, on the hour."""
    moment = datetime.now(UTC) + timedelta(days=days, hours=2)
    return moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)


@pytest.fixture
def world(catalogue):
    collective = make_collective("kino-a")
    coordinator = make_user(Role.COORDINATOR)
    hidden = make_screening(collective, coordinator, Status.PUBLISHED, title="Autumn night",
                            starts_at=local(10), venue_name=SECRET_VENUE,
                            venue_address=SECRET_ADDRESS)
    public = make_screening(collective, coordinator, Status.PUBLISHED, title="Open night",
                            starts_at=local(12), venue_name="Open Doors Hall",
                            venue_address=OPEN_ADDRESS, visibility="public")
    return {"collective": collective, "coordinator": coordinator, "hidden": hidden,
            "public": public}


@pytest.fixture
def cache(app):
    found = public_cache.get(app)
    assert found is not None, "create_app installs the public cache"
    found.store.clear()
    return found


def paths(world) -> list[str]:
    hidden = world["hidden"]
    return ["/", "/past", f"/screenings/{hidden.id}", "/collectives/kino-a", "/films/part-one",
            "/beneficiaries/solidarity-collectives", "/transparency", "/embed?collective=kino-a",
            "/sitemap.xml", "/robots.txt", "/feeds/screenings.ics", "/feeds/screenings.atom",
            f"/screenings/{hidden.id}.ics", GEOJSON, f"{GEOJSON}?when=past"]


def headers_but_date(response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.items() if k != "Date")


def served_with_queries(client, path: str, method: str = "GET", **kwargs):
    with counted_queries() as statements:
        response = client.open(path, method=method, **kwargs)
    return response, len(statements)


# --- hits -----------------------------------------------------------------------------------


def test_a_hit_is_the_miss_byte_for_byte_and_costs_one_query(client, world, cache):
    for path in paths(world):
        misses = cache.store.misses
        first, _ = served_with_queries(client, path)
        assert first.status_code == 200, path
        assert cache.store.misses == misses + 1, path
        second, queries = served_with_queries(client, path)
        # No statement through SQLAlchemy at all: the revision lookup runs on the cache's own
        # DBAPI connection (one primary-key read), and Flask and the ORM are skipped.
        assert queries == 0, path
        assert second.get_data() == first.get_data(), path
        assert headers_but_date(second) == headers_but_date(first), path
        if first.mimetype == "text/html":  # no validator of the view's own: a strong one
            assert first.headers["ETag"].startswith('"')
        assert "Accept-Language" in first.headers["Vary"]


def test_the_security_headers_are_those_of_an_uncached_response(app, client, world, cache):
    plain = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       PUBLIC_CACHE_ENABLED=False)
    assert public_cache.get(plain) is None
    try:
        for path in ["/", "/embed?collective=kino-a", GEOJSON, "/feeds/screenings.ics"]:
            client.get(path)
            cached = client.get(path)
            with plain.app_context():
                uncached = plain.test_client().get(path)
            assert cached.get_data() == uncached.get_data(), path
            ours = {"ETag", "Vary", "Content-Length", "Date", "Last-Modified"}
            assert ({k: v for k, v in cached.headers.items() if k not in ours}
                    == {k: v for k, v in uncached.headers.items() if k not in ours}), path
    finally:
        with plain.app_context():
            db.engine.dispose()


def test_head_is_answered_from_the_stored_get(client, world, cache):
    body = client.get("/").get_data()
    response, queries = served_with_queries(client, "/", method="HEAD")
    assert response.status_code == 200 and response.get_data() == b""
    assert int(response.headers["Content-Length"]) == len(body) and queries == 0


def test_each_locale_and_host_has_its_own_copy(client, world, cache):
    path = f"/screenings/{world['hidden'].id}"
    english = page(client.get(path, headers={"Accept-Language": "en"}))
    german = page(client.get(path, headers={"Accept-Language": "de-DE,de;q=0.9"}))
    assert "€500.00" in english and "500,00\xa0€" in german
    assert page(client.get(path, headers={"Accept-Language": "de"})) == german
    assert page(client.get(path, headers={"Accept-Language": "en"})) == english
    other_host = page(client.get("/sitemap.xml", base_url="http://mirror.example"))
    assert "http://mirror.example/" in other_host
    assert "http://mirror.example/" not in page(client.get("/sitemap.xml"))


# --- invalidation -----------------------------------------------------------------------------


@pytest.fixture
def other_app(app):
    """A second instance on the same database, as another gunicorn worker or machine."""
    second = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    yield second
    public_cache.get(second).close()
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_write_in_another_instance_invalidates(client, world, cache, other_app):
    path = f"/screenings/{world['hidden'].id}"
    assert "Autumn night" in page(client.get(path))
    other_client = other_app.test_client()
    with other_app.app_context():
        assert "Autumn night" in page(other_client.get("/"))
        screening = db.session.get(Screening, world["hidden"].id)
        screening.title = "Winter night"
        db.session.commit()
        db.session.remove()
    assert "Winter night" in page(client.get(path))
    assert "Winter night" in page(client.get("/"))
    # and the other way round: a write here reaches the other instance's stored copy
    world["hidden"].title = "Spring night"
    db.session.commit()
    with other_app.app_context():
        assert "Spring night" in page(other_client.get("/"))


def test_an_emptied_revision_table_does_not_bring_back_old_pages(client, world, cache):
    # A restore or the suite's clean-up starts the counter again: the same value must not
    # match a copy of other data.
    assert "Autumn night" in page(client.get("/"))
    value = revisions.current(revisions.PUBLIC)
    db.session.execute(delete(Revision))
    db.session.execute(update(Screening).where(Screening.id == world["hidden"].id)
                       .values(title="Renamed quietly"))
    db.session.commit()
    for _ in range(value):
        revisions.touch(revisions.PUBLIC)
        db.session.commit()
    assert revisions.current(revisions.PUBLIC) == value
    assert "Renamed quietly" in page(client.get("/"))
    # The next public write through the ORM draws a new epoch: caching resumes, fresh.
    hits = cache.store.hits
    world["public"].title = "Open day"
    db.session.commit()
    assert revisions.current(revisions.PUBLIC) == value + 1
    assert "Open day" in page(client.get("/")) and "Renamed quietly" in page(client.get("/"))
    assert cache.store.hits == hits + 1


def test_if_none_match_answers_304_and_the_etag_follows_the_content(client, world, cache):
    first = client.get(GEOJSON)
    etag = first.headers["ETag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get(GEOJSON, headers={"If-None-Match": sent})
        assert response.status_code == 304 and response.get_data() == b"", sent
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert client.get(GEOJSON, headers={"If-None-Match": '"other"'}).status_code == 200
    # A page without a validator of its own gets one of its bytes: a write that leaves the
    # page as it was (a new revision) still answers 304.
    listed = client.get("/").headers["ETag"]
    world["collective"].description = "Not on the list"
    db.session.commit()
    assert client.get("/", headers={"If-None-Match": listed}).status_code == 304
    # A change on the map: the old ETag no longer matches.
    world["hidden"].title = "Winter night"
    db.session.commit()
    changed = client.get(GEOJSON, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert b"Winter night" in changed.get_data()


# --- the clock --------------------------------------------------------------------------------


def test_a_screening_leaves_the_upcoming_list_when_its_time_has_passed(client, world, cache):
    hidden = world["hidden"]
    assert "Autumn night" in page(client.get("/"))
    assert "Autumn night" not in page(client.get("/past"))
    client.get(GEOJSON)
    later = hidden.starts_at + RUNNING_GRACE + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert "Autumn night" not in page(client.get("/"))
        assert "Autumn night" in page(client.get("/past"))
        assert b"Autumn night" not in client.get(GEOJSON).get_data()
        assert "Open night" in page(client.get("/"))  # the other one is still to come


def test_a_released_address_appears_when_the_time_comes(client, world, cache):
    hidden = world["hidden"]
    release = hidden.starts_at - timedelta(hours=3)
    db.session.execute(update(Venue).where(Venue.id == hidden.venue_id)
                       .values(address_release_at=release))
    revisions.touch(revisions.PUBLIC)  # a core statement: the flush listener does not see it
    db.session.commit()
    path = f"/screenings/{hidden.id}"
    surfaces = [path, "/", GEOJSON, "/feeds/screenings.ics", f"{path}.ics"]
    with time_machine.travel(release - timedelta(minutes=1), tick=False):
        for surface in surfaces:
            assert SECRET_ADDRESS not in page(client.get(surface)), surface
            assert SECRET_ADDRESS not in page(client.get(surface)), surface  # the hit too
    with time_machine.travel(release + timedelta(minutes=1), tick=False):
        assert SECRET_ADDRESS in page(client.get(path))
        assert SECRET_ADDRESS in page(client.get(GEOJSON))
        assert SECRET_ADDRESS in page(client.get("/feeds/screenings.ics"))


# --- nothing personal ------------------------------------------------------------------------


def test_a_logged_in_member_is_never_served_nor_stored(client, world, cache):
    path = f"/screenings/{world['hidden'].id}"
    assert SECRET_ADDRESS not in page(client.get(path))  # stored for the public
    member = make_user(Role.ORGANISER, collective=world["collective"])
    login(client, member)
    stored, hits = len(cache.store), cache.store.hits
    for _ in range(2):
        response = client.get(path)
        assert SECRET_ADDRESS in page(response)  # the member's own page, not the stored one
        assert response.headers["Cache-Control"] == "no-store"
    assert (len(cache.store), cache.store.hits) == (stored, hits)
    # the member's page was not kept for anyone else
    anonymous = client.application.test_client()
    assert SECRET_ADDRESS not in page(anonymous.get(path))


@pytest.mark.parametrize("cookie, header", [
    ("session", None), ("remember_token", None), (None, "Bearer not-a-token"),
])
def test_a_request_with_credentials_bypasses_the_cache(client, world, cache, cookie, header):
    client.get("/")
    stored, hits, misses = len(cache.store), cache.store.hits, cache.store.misses
    fresh = client.application.test_client()
    fresh.set_cookie("theme", "dark")  # a cookie the app does not read changes nothing
    if cookie:
        fresh.set_cookie(cookie, "1|anything")
    headers = {"Authorization": header} if header else {}
    assert fresh.get("/robots.txt", headers=headers).status_code in (200, 401)
    assert fresh.get("/", headers=headers).status_code in (200, 401)
    assert (len(cache.store), cache.store.hits, cache.store.misses) == (stored, hits, misses)
    fresh.delete_cookie(cookie or "theme")
    if not header:
        fresh.get("/")
        assert cache.store.hits == hits + 1  # the control: without them, a hit


def test_no_private_address_in_any_stored_body(client, world, cache):
    member = make_user(Role.ORGANISER, collective=world["collective"])
    insider = client.application.test_client()
    login(insider, member)
    for path in paths(world):
        assert SECRET_ADDRESS in page(insider.get(f"/screenings/{world['hidden'].id}"))
        insider.get(path)
        for _ in range(2):  # the miss, then the hit
            body = page(client.get(path, headers={"Accept-Encoding": "identity"}))
            assert SECRET_ADDRESS not in body and SECRET_VENUE not in body, path
    for entry in list(cache.store._entries.values()):
        assert SECRET_ADDRESS.encode() not in entry.body


@pytest.fixture
def odd_app(app):
    """An app with allow-listed views that set a cookie, render a CSRF token, or are plain."""
    odd = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                     PUBLIC_CACHE_ENABLED=False)

    @odd.get("/odd/cookie")
    def odd_cookie():
        response = make_response("a cookie for you " * 100)
        response.set_cookie("marker", "1")
        return response

    @odd.get("/odd/form")
    def odd_form():
        return render_template_string("<form>{{ csrf_token() }}</form>" + "x" * 2000)

    @odd.get("/odd/plain")
    def odd_plain():
        return "the same for everyone " * 100

    @odd.get("/odd/missing")
    def odd_missing():
        return "not here", 404

    cache = PublicCache(odd, odd.wsgi_app, Store(1 << 20), frozenset(
        {"odd_cookie", "odd_form", "odd_plain", "odd_missing"}))
    odd.wsgi_app = cache
    yield odd, cache
    cache.close()
    with odd.app_context():
        db.engine.dispose()


def test_only_shareable_responses_are_stored(odd_app):
    odd, cache = odd_app
    cookie = odd.test_client().get("/odd/cookie")
    assert cookie.status_code == 200 and "marker=1" in cookie.headers["Set-Cookie"]
    form = odd.test_client().get("/odd/form")
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert odd.test_client().get("/odd/missing").status_code == 404
    assert len(cache.store) == 0
    assert odd.test_client().get("/odd/plain").status_code == 200
    assert len(cache.store) == 1  # the control: a plain page is kept
    assert odd.test_client().post("/odd/plain").status_code == 405  # other methods pass


# --- size and encoding -------------------------------------------------------------------------


def test_the_store_stays_within_its_byte_budget():
    store = Store(max_bytes=10_000, max_entry_bytes=4_000)
    headers = [("Content-Type", "text/html; charset=utf-8")]
    for n in range(10):
        assert store.put(("page", n), make_entry("200 OK", headers, b"x" * 2_000, (1, 1), None))
        assert store.bytes <= 10_000
    assert store.get(("page", 9)) is not None and store.get(("page", 0)) is None
    assert not store.put(("big",), make_entry("200 OK", headers, b"x" * 5_000, (1, 1), None))
    store.get(("page", 6))  # used: the oldest is now page 7
    store.put(("page", 10), make_entry("200 OK", headers, b"y" * 2_000, (1, 1), None))
    assert store.get(("page", 6)) is not None and store.get(("page", 7)) is None


def test_the_apps_cache_is_bounded(app, world):
    small = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       PUBLIC_CACHE_MAX_BYTES=40_000)
    try:
        client = small.test_client()
        with small.app_context():
            for path in paths(world):
                assert client.get(path).status_code == 200
        store = public_cache.get(small).store
        assert 0 < store.bytes <= 40_000 and len(store) < len(paths(world))
    finally:
        public_cache.get(small).close()
        with small.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("path", ["/", GEOJSON])
def test_large_bodies_go_out_gzipped_to_clients_that_accept_it(client, world, cache, path):
    for n in range(8):  # a GeoJSON big enough to be worth compressing
        make_screening(world["collective"], world["coordinator"], Status.PUBLISHED,
                       title=f"More {n}", starts_at=local(20 + n), venue_name=f"Hall {n}")
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    packed = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    assert packed.headers["ETag"] != plain.headers["ETag"]
    assert "Accept-Encoding" in packed.headers["Vary"]
    again = client.get(path, headers={"Accept-Encoding": "gzip",
                                      "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    refused = client.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    small = client.get("/robots.txt", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # too small to be worth it


@pytest.mark.parametrize("header, accepted", [
    ("gzip", True), ("GZIP;q=0.5", True), ("deflate, gzip;q=0", False), ("*", True),
    ("*;q=0", False), ("br", False), ("", False), ("gzip;q=abc", False),
])
def test_accept_encoding(header, accepted):
    assert accepts_gzip(header) is accepted


def test_the_list_page_query_count_does_not_grow_with_misses(client, world, cache):
    _, before = served_with_queries(client, "/")
    for n in range(3):
        make_screening(world["collective"], world["coordinator"], Status.PUBLISHED,
                       title=f"More {n}", starts_at=local(20 + n), venue_name=f"Hall {n}")
    _, after = served_with_queries(client, "/")
    assert after == before
    assert db.session.scalar(select(text("1"))) == 1
