"""GET /api/v1/screenings.geojson: the public map's pins. Privacy first (a private venue's pin
is its city's centre, exactly), then the filters, the cap, and HTTP caching (ETag, 304)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import Role, Status, Visibility
from app.services import cities
from app.services.screenings import geo
from tests.conftest import login, make_collective, make_screening, make_user
from tests.test_api_support import API, bearer, error_of, token_for
from tests.test_lifecycle import add_helsinki

URL = f"{API}/screenings.geojson"
HELSINKI = (60.16952, 24.93545)
VENUE_POINT = (60.1801, 24.9555)
SECRET = "Secret Street 1, Helsinki"


@pytest.fixture
def helsinki(catalogue):
    return add_helsinki()


@pytest.fixture
def hosts(helsinki):
    return make_collective("collective-a")


def place(screening, visibility=Visibility.CITY_ONLY, release_at=None):
    """Give the venue its own point (which must stay hidden unless the address is public)."""
    venue = screening.venue
    venue.lat, venue.lon = VENUE_POINT
    venue.visibility, venue.address_release_at = visibility, release_at
    db.session.commit()
    return screening


def published(hosts, **changes):
    return make_screening(hosts, status=Status.PUBLISHED, **changes)


def features(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["features"]


def test_a_private_venue_sits_exactly_on_its_city_centre(client, hosts):
    place(published(hosts))
    response = client.get(URL)
    assert response.mimetype == "application/geo+json"
    body = json.loads(response.get_data())
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    (feature,) = body["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [HELSINKI[1], HELSINKI[0]]}
    assert feature["properties"]["address"] is None
    text = response.get_data(as_text=True)
    assert SECRET not in text and "Secret" not in text
    assert str(VENUE_POINT[0]) not in text and str(VENUE_POINT[1]) not in text


@pytest.mark.parametrize("visibility", [Visibility.CITY_ONLY, Visibility.ON_REQUEST])
def test_no_private_venue_leaks_even_to_its_own_members_or_coordinators(client, hosts,
                                                                        visibility):
    # The map is public: the same answer whoever asks (it may sit in shared caches).
    place(published(hosts), visibility)
    for user in (make_user(Role.ORGANISER, hosts), make_user(Role.COORDINATOR)):
        for headers in ({}, bearer(token_for(user))):
            if not headers:
                login(client, user)
            text = client.get(URL, headers=headers).get_data(as_text=True)
            assert SECRET not in text and str(VENUE_POINT[0]) not in text
        client.post("/logout")


def test_a_public_venue_shows_its_point_and_address(client, hosts):
    place(published(hosts), Visibility.PUBLIC)
    (feature,) = features(client.get(URL))
    assert feature["geometry"]["coordinates"] == [VENUE_POINT[1], VENUE_POINT[0]]
    assert feature["properties"]["address"] == SECRET


def test_a_released_address_appears_when_its_time_has_come(client, hosts):
    screening = place(published(hosts), release_at=datetime.now(UTC) + timedelta(hours=1))
    first = client.get(URL)
    assert features(first)[0]["geometry"]["coordinates"] == [HELSINKI[1], HELSINKI[0]]
    # Time passes (no edit of any row): the release is due, and the cached answer changes.
    screening.venue.address_release_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    second = client.get(URL, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    (feature,) = features(second)
    assert feature["geometry"]["coordinates"] == [VENUE_POINT[1], VENUE_POINT[0]]
    assert feature["properties"]["address"] == SECRET


def test_the_release_is_seen_without_any_write(client, hosts):
    # The ETag counts the releases due now; no updated_at moves when the clock passes one.
    screening = place(published(hosts), release_at=datetime.now(UTC) + timedelta(hours=1))
    from app.api import geojson
    from app.api.screening_args import public_query
    from app.services.screenings.search import ScreeningFilters

    query = public_query("upcoming", ScreeningFilters())
    before = geojson.fingerprint(query, datetime.now(UTC))
    after = geojson.fingerprint(query, datetime.now(UTC) + timedelta(hours=2))
    assert before != after
    assert screening.venue.address_release_at is not None


def test_the_properties(client, hosts, helsinki):
    screening = published(hosts, title="Winter Screening")
    (feature,) = features(client.get(URL))
    properties = feature["properties"]
    assert feature["id"] == screening.id
    assert properties == {
        "id": screening.id, "title": "Winter Screening",
        "url": f"/screenings/{screening.id}/winter-screening-helsinki",
        "starts_at": properties["starts_at"], "timezone": "Europe/Helsinki",
        "city": "Helsinki", "country_code": "FI", "film": "Part One: Resistance",
        "collectives": ["Collective A"], "status": "published", "venue": None,
        "address": None,
    }
    local = datetime.fromisoformat(properties["starts_at"])
    assert local.utcoffset() in (timedelta(hours=2), timedelta(hours=3))
    assert (local.hour, local.minute) == (19, 0)
    # The url is the public page's canonical address (no redirect).
    assert client.get(properties["url"]).status_code == 200


def test_only_public_upcoming_screenings(client, hosts):
    shown = published(hosts)
    cancelled = make_screening(hosts, status=Status.CANCELLED)
    for status in (Status.DRAFT, Status.SUBMITTED):
        make_screening(hosts, status=status)
    past = published(hosts, starts_at=datetime(2020, 5, 1, 19, 0))
    ids = {f["id"] for f in features(client.get(URL))}
    assert ids == {shown.id, cancelled.id}
    assert {f["id"] for f in features(client.get(URL + "?when=past"))} == {past.id}
    assert {f["id"] for f in features(client.get(URL + "?when=all"))} == {
        shown.id, cancelled.id, past.id}
    # Coordinators too: the map is the public one.
    token = token_for(make_user(Role.COORDINATOR))
    assert {f["id"] for f in features(client.get(URL, headers=bearer(token)))} == ids


def test_the_same_filters_as_the_list(client, hosts):
    a = published(hosts)
    b = published(make_collective("collective-b"))
    assert [f["id"] for f in features(client.get(URL + "?collective=collective-b"))] == [b.id]
    assert [f["id"] for f in features(client.get(URL + "?country=FI&collective=collective-a"))
            ] == [a.id]
    cities.ensure_country("UA")
    db.session.commit()
    assert features(client.get(URL + "?country=UA")) == []
    day = a.starts_at.date().isoformat()
    assert a.id in {f["id"] for f in features(client.get(URL + f"?from={day}&to={day}"))}


@pytest.mark.parametrize("query, field", [
    ("country=XX", "country"), ("film=nope", "film"), ("from=2026-13-01", "from"),
    ("from=2026-05-02&to=2026-05-01", "to"), ("radius=-1&near=1", "radius"),
    ("near=999999", "near"), ("city=abc", "city"), ("when=tomorrow", "when"),
    ("status=draft", "status"),
])
def test_bad_filters_answer_400_naming_the_parameter(client, hosts, query, field):
    error = error_of(client.get(f"{URL}?{query}"), 400, "bad_request")
    assert field in error["fields"]


def test_etag_and_conditional_get(client, hosts):
    screening = published(hosts)
    first = client.get(URL)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert "Set-Cookie" not in first.headers
    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    # Other filters with another answer: another ETag (the ETag is of the bytes, so filters
    # that pick the same screenings may share one).
    assert client.get(URL + "?when=past").headers["ETag"] != etag
    # An edit changes it.
    screening.title = "Renamed"
    db.session.commit()
    changed = client.get(URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert features(changed)[0]["properties"]["title"] == "Renamed"


@pytest.mark.parametrize("change", ["venue", "film", "collective", "new", "cancel", "host"])
def test_every_change_shown_on_the_map_changes_the_etag(client, hosts, change):
    screening = published(hosts)
    other = make_collective("collective-c")
    etag = client.get(URL).headers["ETag"]
    if change == "venue":
        screening.venue.visibility = Visibility.PUBLIC
    elif change == "film":
        screening.film.title = "Part Two"
    elif change == "collective":
        hosts.name = "Renamed Collective"
    elif change == "new":
        published(hosts)
    elif change == "host":
        screening.collectives = [other]
    else:
        screening.status = Status.CANCELLED
        from app.models import CancelReason

        screening.cancel_reason = CancelReason.OTHER
    db.session.commit()
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 200


def test_the_cap_marks_a_truncated_answer(client, hosts, monkeypatch):
    from app.api import geojson

    for _ in range(3):
        published(hosts)
    monkeypatch.setattr(geojson, "MAX_FEATURES", 2)
    body = client.get(URL).get_json()
    assert len(body["features"]) == 2 and body["truncated"] is True


def test_a_bad_token_is_refused(client, hosts):
    error_of(client.get(URL, headers={"Authorization": "Bearer nope"}), 401)


def test_feature_collection_never_reads_the_venue_point_of_a_private_venue(hosts):
    screening = place(published(hosts))
    collection = geo.feature_collection([screening])
    assert collection["features"][0]["geometry"]["coordinates"] == [HELSINKI[1], HELSINKI[0]]


def test_a_repeat_outside_the_public_cache_reuses_the_rendered_body(client, hosts):
    # A request with a session cookie is not answered by app/public_cache: the view asks the
    # database for its fingerprint every time, and renders only what it has not rendered.
    from tests.test_query_counts import counted_queries

    published(hosts)
    client.set_cookie("session", "not-a-login")
    with counted_queries() as rendering:
        first = client.get(URL + "?country=FI")
    with counted_queries() as again_statements:
        again = client.get(URL + "?country=FI")
    assert again.get_data() == first.get_data()
    assert len(again_statements) < len(rendering)
    assert not any("venues.name" in s for s in again_statements)  # no rendering
    # Bad filters are never remembered: still a 400.
    error_of(client.get(URL + "?country=XX"), 400)
    error_of(client.get(URL + "?country=XX"), 400)


def test_the_light_rows_give_the_features_of_the_screenings_themselves(hosts):
    # The map reads plain rows (geo.map_rows), not ORM objects: the same features, in the same
    # order, for public, private, released and unreleased venues and several hosts.
    from app.api.screening_args import public_query
    from app.services.screenings.search import ScreeningFilters

    now = datetime.now(UTC)
    other = make_collective("collective-b")
    first = place(published(hosts, title="First"), Visibility.PUBLIC)
    second = place(published(hosts, venue_name="Cellar", starts_at=datetime.now() + timedelta(
        days=40)), release_at=now - timedelta(minutes=1))
    place(published(other, venue_name="Attic"), release_at=now + timedelta(hours=1))
    second.collectives.append(other)
    db.session.commit()
    query = public_query("upcoming", ScreeningFilters(), now)
    screenings = list(db.session.scalars(query))
    assert len(screenings) == 3 and first in screenings
    light = geo.map_rows(query, 10)
    assert [row.id for row in light] == [s.id for s in screenings]
    assert geo.feature_collection(light, now) == geo.feature_collection(screenings, now)
    assert geo.map_rows(query, 2) == light[:2]
