"""The screenings API: the list (filters, pagination, roles, privacy, no N+1), one screening,
registering (strict bodies), editing (If-Match) and lifecycle transitions."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Role, Screening, Status, Visibility
from app.services import ledger
from tests.conftest import login, make_collective, make_screening, make_user
from tests.test_api_support import (
    API,
    bearer,
    error_of,
    token_for,
    world,  # noqa: F401  (fixture)
)
from tests.test_query_counts import counted_queries

LIST = f"{API}/screenings"
SECRET = "Secret Street 1, Helsinki"
ITEM_KEYS = {"id", "url", "title", "film", "collectives", "city", "starts_at", "timezone",
             "status", "language", "subtitles", "description", "descriptions", "venue",
             "fundraiser"}


def item_url(screening) -> str:
    return f"{LIST}/{screening.id}"


def get(client, url, user=None, **headers):
    if user is not None:
        headers.update(bearer(token_for(user)))
    return client.get(url, headers=headers)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def local_evening(days: int) -> datetime:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=19, minute=30, second=0, microsecond=0, tzinfo=None)


# --- the list ------------------------------------------------------------------------------------


def test_the_item_shape(client, world):  # noqa: F811
    body = get(client, LIST).get_json()
    assert set(body) == {"items", "page", "pages", "total"}
    assert body["total"] == 2 and body["page"] == 1 and body["pages"] == 1
    item = next(i for i in body["items"] if i["id"] == world.screening_a.id)
    assert set(item) == ITEM_KEYS
    assert item["film"] == {"slug": "part-one", "title": "Part One: Resistance"}
    assert item["collectives"] == [{"slug": "collective-a", "name": "Collective A"}]
    assert item["city"] == {"name": "Helsinki", "country_code": "FI", "lat": 60.16952,
                            "lon": 24.93545}
    assert item["timezone"] == "Europe/Helsinki" and item["status"] == "published"
    assert (item["language"], item["subtitles"], item["descriptions"]) == (None, None, {})
    assert item["description"] == world.screening_a.description
    local = datetime.fromisoformat(item["starts_at"])
    assert (local.hour, local.minute) == (19, 0) and local.utcoffset() is not None
    assert local.astimezone(UTC) == world.screening_a.starts_at
    # The venue name can give the place away as well as the address: both hidden.
    assert item["venue"] == {"name": None, "address": None, "visibility": "city_only"}
    assert item["url"].startswith(f"/screenings/{world.screening_a.id}/")
    assert client.get(item["url"]).status_code == 200
    assert item["fundraiser"] == {
        "beneficiary": {"slug": "solidarity-collectives", "name": "Solidarity Collectives"},
        "purpose": "Medical supplies", "goal": {"amount": "500.00", "currency": "EUR"},
        "raised": {"amount": "0.00", "currency": "EUR"}}


def test_public_screenings_only_upcoming_and_past_by_date(client, world):  # noqa: F811
    a = world.a
    past = make_screening(a, world.coordinator, Status.HELD, starts_at=datetime(2021, 3, 1, 19))
    cancelled = make_screening(a, world.coordinator, Status.CANCELLED,
                               starts_at=local_evening(2))
    hidden = [make_screening(a, world.coordinator, status) for status in
              (Status.DRAFT, Status.SUBMITTED)]
    for user in (None, world.organiser_a, world.organiser_b):
        listed = ids(get(client, LIST, user))
        assert listed[0] == past.id and listed[1] == cancelled.id
        assert set(listed) == {past.id, cancelled.id, world.screening_a.id,
                               world.screening_b.id}
        assert not {h.id for h in hidden} & set(listed)
    assert ids(get(client, LIST + "?when=past")) == [past.id]
    assert past.id not in ids(get(client, LIST + "?when=upcoming"))


def test_mine_lists_every_state_of_my_collectives(client, world):  # noqa: F811
    draft = make_screening(world.a, world.coordinator, Status.DRAFT)
    make_screening(world.b, world.coordinator, Status.DRAFT)
    assert set(ids(get(client, LIST + "?mine=1", world.organiser_a))) == {
        draft.id, world.screening_a.id}
    assert ids(get(client, LIST + "?mine=1&status=draft", world.organiser_a)) == [draft.id]
    error_of(get(client, LIST + "?mine=1"), 401)
    error_of(get(client, LIST + "?mine=maybe", world.organiser_a), 400)
    # Without mine, status may only name a public state.
    assert "status" in error_of(get(client, LIST + "?status=draft", world.organiser_a),
                                400)["fields"]


def test_coordinators_may_filter_any_status(client, world):  # noqa: F811
    draft = make_screening(world.b, world.coordinator, Status.DRAFT)
    assert ids(get(client, LIST + "?status=draft", world.coordinator)) == [draft.id]
    assert draft.id not in ids(get(client, LIST, world.coordinator))


def test_the_filters(client, world):  # noqa: F811
    assert ids(get(client, LIST + "?collective=collective-b")) == [world.screening_b.id]
    assert len(ids(get(client, LIST + "?country=FI&film=part-one"))) == 2
    day = world.screening_a.starts_at.date()
    assert len(ids(get(client, LIST + f"?from={day}&to={day}"))) == 2
    later = (day + timedelta(days=1)).isoformat()
    assert ids(get(client, LIST + f"?from={later}")) == []
    assert len(ids(get(client, LIST + f"?near={world.screening_a.city_id}&radius=10"))) == 2


@pytest.mark.parametrize("query, field", [
    ("country=ZZ", "country"), ("collective=nobody", "collective"),
    ("beneficiary=nobody", "beneficiary"), ("from=yesterday", "from"),
    ("from=2026-05-02&to=2026-05-01", "to"), ("near=1&radius=-1", "radius"),
    ("radius=10", "near"), ("city=0", "city"), ("per_page=500", "per_page"),
    ("page=0", "page"), ("when=soon", "when"), ("status=nonsense", "status"),
])
def test_bad_query_arguments_answer_400(client, world, query, field):  # noqa: F811
    error = error_of(get(client, f"{LIST}?{query}"), 400, "bad_request")
    assert field in error["fields"]


def test_pagination(client, world):  # noqa: F811
    body = get(client, LIST + "?per_page=1&page=2").get_json()
    assert len(body["items"]) == 1 and body["pages"] == 2 and body["total"] == 2
    far = get(client, LIST + "?page=10000").get_json()
    assert far["items"] == [] and far["total"] == 2


def test_the_list_runs_the_same_queries_for_1_and_20_screenings(client, catalogue):
    from tests.test_lifecycle import add_helsinki

    add_helsinki()
    a = make_collective("collective-a")
    organiser = make_user(Role.ORGANISER, a)
    token = token_for(organiser)

    def add(n):
        for _ in range(n):
            screening = make_screening(a, organiser, Status.PUBLISHED)
            ledger.record_contribution(screening.fundraiser, organiser, amount="10.00",
                                       currency="EUR", received_on=date.today(),
                                       channel="door")
            db.session.commit()

    def count(headers):
        client.get(LIST, headers=headers)  # the token's use is stamped once a minute: not now
        with counted_queries() as statements:
            response = client.get(LIST + "?per_page=50", headers=headers)
        assert response.status_code == 200
        return len(statements), len(response.get_json()["items"])

    add(1)
    one = {name: count(headers) for name, headers in (("anonymous", {}),
                                                      ("member", bearer(token)))}
    add(19)
    twenty = {name: count(headers) for name, headers in (("anonymous", {}),
                                                         ("member", bearer(token)))}
    for name in one:
        assert one[name][1] == 1 and twenty[name][1] == 20
        assert one[name][0] == twenty[name][0], (name, one, twenty)


# --- privacy through every JSON surface -----------------------------------------------------------


def test_who_sees_a_private_address(client, world):  # noqa: F811
    expected = {None: None, world.organiser_a: SECRET, world.organiser_b: None,
                world.coordinator: SECRET}
    for user, address in expected.items():
        one = get(client, item_url(world.screening_a), user).get_json()
        assert one["venue"]["address"] == address, user
        listed = get(client, LIST + "?collective=collective-a", user).get_json()["items"]
        assert listed[0]["venue"]["address"] == address, user
    # Logged in with the session cookie, as a browser would.
    login(client, world.organiser_b)
    assert SECRET not in client.get(LIST + "?collective=collective-a").get_data(as_text=True)
    assert SECRET not in client.get(item_url(world.screening_a)).get_data(as_text=True)


def test_no_private_address_or_venue_point_in_any_public_answer(client, world):  # noqa: F811
    venue = world.screening_a.venue
    venue.lat, venue.lon = 60.1801, 24.9555
    db.session.commit()
    for url in (LIST, item_url(world.screening_a), f"{API}/screenings.geojson",
                LIST + "?when=all&per_page=200"):
        text = client.get(url).get_data(as_text=True)
        assert SECRET not in text and "60.1801" not in text and "24.9555" not in text, url


def test_a_released_address_appears_in_the_list_and_the_item(client, world):  # noqa: F811
    world.screening_a.venue.address_release_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert get(client, item_url(world.screening_a)).get_json()["venue"]["address"] == SECRET
    listed = get(client, LIST + "?collective=collective-a").get_json()["items"]
    assert listed[0]["venue"]["address"] == SECRET
    # Not yet released: hidden.
    world.screening_a.venue.address_release_at = datetime.now(UTC) + timedelta(hours=3)
    db.session.commit()
    assert get(client, item_url(world.screening_a)).get_json()["venue"]["address"] is None


def test_raised_is_hidden_when_totals_are_private(client, world):  # noqa: F811
    ledger.record_contribution(world.screening_a.fundraiser, world.coordinator, amount="25.00",
                               currency="EUR", received_on=date.today(), channel="door")
    db.session.commit()
    raised = {"amount": "25.00", "currency": "EUR"}
    assert get(client, item_url(world.screening_a)).get_json()["fundraiser"]["raised"] == raised
    world.screening_a.fundraiser.totals_public = False
    db.session.commit()
    for user, expected in ((None, None), (world.organiser_b, None),
                           (world.organiser_a, raised), (world.coordinator, raised)):
        one = get(client, item_url(world.screening_a), user).get_json()
        assert one["fundraiser"]["raised"] == expected, user
        listed = get(client, LIST + "?collective=collective-a", user).get_json()["items"][0]
        assert listed["fundraiser"]["raised"] == expected, user


def test_the_cancel_reason_stays_private(client, world):  # noqa: F811
    token = token_for(world.organiser_a)
    client.post(f"{item_url(world.screening_a)}/transitions", headers=bearer(token),
                json={"to": "cancelled", "reason": "threats", "note": "Names of people"})
    text = client.get(item_url(world.screening_a)).get_data(as_text=True)
    assert "threats" not in text and "Names of people" not in text
    assert '"status":"cancelled"' in text.replace(" ", "")


# --- one screening -------------------------------------------------------------------------------


def test_one_screening_role_matrix(client, world):  # noqa: F811
    draft = make_screening(world.a, world.coordinator, Status.DRAFT)
    for user, status in ((None, 404), (world.organiser_b, 404), (world.organiser_a, 200),
                         (world.coordinator, 200)):
        assert get(client, item_url(draft), user).status_code == status, user
    for user in (None, world.organiser_b):
        response = get(client, item_url(world.screening_a), user)
        assert response.status_code == 200
    error_of(get(client, f"{LIST}/999999"), 404, "not_found")
    response = get(client, item_url(world.screening_a))
    assert response.headers["ETag"] == f'"{world.screening_a.version_id}"'
    assert response.headers["Cache-Control"] == "no-store"


# --- registering ---------------------------------------------------------------------------------


def body(**changes) -> dict:
    """A valid POST body: collective A's screening in Helsinki, in a month."""
    value = {
        "film": "part-one", "collective": "collective-a",
        "city": {"name": "Helsinki", "country_code": "FI"},
        "venue": {"name": "Kino Aurora", "address": "Hidden Road 5", "visibility": "city_only"},
        "starts_at": local_evening(30).isoformat(timespec="minutes"),
        "fundraiser": {"beneficiary": "solidarity-collectives", "purpose": "Medical kits",
                       "goal": {"amount": "500.00", "currency": "EUR"}},
    }
    value.update(changes)
    return value


def post(client, user, data, **headers):
    headers.update(bearer(token_for(user)))
    return client.post(LIST, json=data, headers=headers)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Screening))


def test_register_a_screening(client, world):  # noqa: F811
    response = post(client, world.organiser_a, body(title="Winter night", description="Bring tea"))
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    stored = db.session.get(Screening, item["id"])
    assert response.headers["Location"] == f"{LIST}/{stored.id}"
    assert response.headers["ETag"] == f'"{stored.version_id}"'
    assert stored.status == Status.DRAFT and item["status"] == "draft"
    assert item["title"] == "Winter night" and stored.description == "Bring tea"
    assert item["venue"] == {"name": "Kino Aurora", "address": "Hidden Road 5",
                             "visibility": "city_only"}
    local = datetime.fromisoformat(item["starts_at"])
    assert (local.hour, local.minute) == (19, 30)
    assert stored.created_by_id == world.organiser_a.id
    assert stored.fundraiser.goal_amount_minor == 50000


def test_register_with_an_offset_and_a_geonames_id(client, world):  # noqa: F811
    response = post(client, world.organiser_a, body(
        city={"geonames_id": 703448}, starts_at="2026-12-05T17:30+00:00",
        fundraiser={"beneficiary": "solidarity-collectives", "purpose": "Kits", "goal": None}))
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert item["city"]["name"] == "Kyiv" and item["timezone"] == "Europe/Kyiv"
    assert item["starts_at"] == "2026-12-05T19:30:00+02:00"
    assert item["fundraiser"]["goal"] is None


def test_register_by_city_name_in_another_language(client, world):  # noqa: F811
    response = post(client, world.organiser_a, body(
        city={"name": "Київ", "country_code": "UA"}, starts_at="2026-07-01T19:30"))
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert item["city"]["name"] == "Kyiv"
    assert item["starts_at"] == "2026-07-01T19:30:00+03:00"


@pytest.mark.parametrize("changes, field", [
    ({"collective": "collective-b"}, "collective"),
    ({"film": "no-such-film"}, "film"),
    ({"city": {"name": "Atlantis", "country_code": "FI"}}, "city.name"),
    ({"city": {"name": "Helsinki"}}, "city.country_code"),
    ({"city": {"geonames_id": 703448, "name": "Kyiv"}}, "city"),
    ({"city": {"geonames_id": 1}}, "city.geonames_id"),
    ({"starts_at": "next friday"}, "starts_at"),
    ({"starts_at": "2026-12-05"}, "starts_at"),
    ({"starts_at": "2026-03-29T03:30"}, "starts_at"),  # skipped by DST in Helsinki
    ({"venue": {"name": "", "visibility": "public"}}, "venue.name"),
    ({"venue": {"name": "X", "visibility": "everyone"}}, "venue.visibility"),
    ({"fundraiser": {"beneficiary": "nobody", "purpose": "x"}}, "fundraiser.beneficiary"),
    ({"fundraiser": {"beneficiary": "solidarity-collectives", "purpose": "x",
                     "goal": {"amount": "abc", "currency": "EUR"}}}, "fundraiser.goal.amount"),
    ({"fundraiser": {"beneficiary": "solidarity-collectives", "purpose": "x",
                     "goal": {"amount": "5.00", "currency": "XXY"}}}, "fundraiser.goal.currency"),
    ({"fundraiser": {"beneficiary": "solidarity-collectives", "purpose": "x",
                     "goal": {"amount": 500, "currency": "EUR"}}}, "fundraiser.goal.amount"),
    ({"film": 3}, "film"),
    ({"status": "published"}, "status"),
    ({"id": 7}, "id"),
    ({"version_id": 1}, "version_id"),
    ({"created_by_id": 1}, "created_by_id"),
    ({"venue": {"name": "X", "lat": 60.1}}, "venue.lat"),
    ({"fundraiser": {"beneficiary": "solidarity-collectives", "purpose": "x",
                     "totals_public": False}}, "fundraiser.totals_public"),
    ({"title": "x" * 201}, "title"),
])
def test_refused_bodies(client, world, changes, field):  # noqa: F811
    before = count()
    error = error_of(post(client, world.organiser_a, body(**changes)), 422)
    assert field in error["fields"], error
    assert count() == before


def test_missing_fields_are_named(client, world):  # noqa: F811
    error = error_of(post(client, world.organiser_a, {}), 422)
    assert {"film", "collective", "city", "venue", "starts_at", "fundraiser"} <= set(
        error["fields"])


def test_registering_needs_an_account_and_json(client, world):  # noqa: F811
    error_of(client.post(LIST, json=body()), 401)
    token = bearer(token_for(world.organiser_a))
    error_of(client.post(LIST, data="film=part-one", headers=token,
                         content_type="application/x-www-form-urlencoded"), 415)
    error_of(client.post(LIST, data="{nope", headers=token, content_type="application/json"),
             400, "invalid_json")
    error_of(client.post(LIST, json=[body()], headers=token), 400)


def test_coordinators_register_for_any_collective(client, world):  # noqa: F811
    assert post(client, world.coordinator, body(collective="collective-b")).status_code == 201


def test_a_cookie_write_needs_the_csrf_header(client, world, app):  # noqa: F811
    login(client, world.organiser_a)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        error_of(client.post(LIST, json=body()), 400, "csrf_failed")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- editing -------------------------------------------------------------------------------------


def patch(client, user, screening, data, **headers):
    headers.update(bearer(token_for(user)))
    return client.patch(item_url(screening), json=data, headers=headers)


def test_patch_changes_only_what_is_sent(client, world):  # noqa: F811
    screening = world.screening_a
    old_version, old_start = screening.version_id, screening.starts_at
    response = patch(client, world.organiser_a, screening,
                     {"title": "New title", "venue": {"visibility": "public"},
                      "fundraiser": {"goal": {"amount": "750", "currency": "EUR"}}})
    assert response.status_code == 200, response.get_json()
    item = response.get_json()
    db.session.refresh(screening)
    assert item["title"] == "New title" and screening.version_id > old_version
    assert response.headers["ETag"] == f'"{screening.version_id}"'
    assert screening.starts_at == old_start and screening.venue.name == "Lepakkomies"
    assert item["fundraiser"]["goal"] == {"amount": "750.00", "currency": "EUR"}
    # Now public: everyone sees the address.
    assert get(client, item_url(screening)).get_json()["venue"]["address"] == SECRET


def test_patch_clears_the_goal_and_the_title(client, world):  # noqa: F811
    patch(client, world.organiser_a, world.screening_a, {"title": "T"})
    response = patch(client, world.organiser_a, world.screening_a,
                     {"title": None, "fundraiser": {"goal": None}})
    item = response.get_json()
    assert item["title"] == "Part One: Resistance" and item["fundraiser"]["goal"] is None


def test_patch_moves_the_start_in_the_city_zone(client, world):  # noqa: F811
    response = patch(client, world.organiser_a, world.screening_a,
                     {"starts_at": "2026-12-24T18:00"})
    assert response.get_json()["starts_at"] == "2026-12-24T18:00:00+02:00"


def test_if_match(client, world):  # noqa: F811
    screening = world.screening_a
    current = f'"{screening.version_id}"'
    stale = f'"{screening.version_id - 1 or 99}"'
    error = error_of(patch(client, world.organiser_a, screening, {"title": "x"},
                           **{"If-Match": stale}), 412, "precondition_failed")
    assert "changed" in error["message"]
    response = patch(client, world.organiser_a, screening, {"title": "x"},
                     **{"If-Match": current})
    assert response.status_code == 200
    # The version moved on: the old ETag is now stale.
    error_of(patch(client, world.organiser_a, screening, {"title": "y"},
                   **{"If-Match": current}), 412)


def test_a_concurrent_write_answers_409(client, world, monkeypatch):  # noqa: F811
    from app.api import screenings as api_screenings

    def racing(*_args, **_kwargs):
        raise StaleDataError("someone else won")

    monkeypatch.setattr(api_screenings.screenings, "update", racing)
    error_of(patch(client, world.organiser_a, world.screening_a, {"title": "x"}), 409, "stale")


@pytest.mark.parametrize("data, field", [
    ({"status": "published"}, "status"), ({"id": 3}, "id"), ({"version_id": 9}, "version_id"),
    ({"film": None}, "film"), ({"venue": {"name": None}}, "venue.name"),
    ({"venue": {"address": 5}}, "venue.address"), ({"starts_at": "soon"}, "starts_at"),
    ({"collective": "collective-b"}, "collective"),
    ({"fundraiser": {"purpose": ""}}, "fundraiser.purpose"),
    ({"cancel_reason": "threats"}, "cancel_reason"),
])
def test_refused_patches(client, world, data, field):  # noqa: F811
    version = world.screening_a.version_id
    error = error_of(patch(client, world.organiser_a, world.screening_a, data), 422)
    assert field in error["fields"], error
    db.session.refresh(world.screening_a)
    assert world.screening_a.version_id == version


def test_patch_role_matrix(client, world):  # noqa: F811
    draft = make_screening(world.a, world.coordinator, Status.DRAFT)
    error_of(client.patch(item_url(draft), json={"title": "x"}), 401)
    for target in (draft, world.screening_a):
        error_of(patch(client, world.organiser_b, target, {"title": "x"}), 404)
    assert patch(client, world.organiser_a, draft, {"title": "x"}).status_code == 200
    assert patch(client, world.coordinator, world.screening_b, {"title": "x"}).status_code == 200
    error_of(patch(client, world.organiser_a, world.screening_b, {"title": "x"}), 404)


# --- transitions ---------------------------------------------------------------------------------


def transition(client, user, screening, data, **headers):
    headers.update(bearer(token_for(user)))
    return client.post(f"{item_url(screening)}/transitions", json=data, headers=headers)


def status_of(screening) -> Status:
    db.session.expire_all()
    return db.session.get(Screening, screening.id).status


def test_submit_then_a_coordinator_publishes(client, world):  # noqa: F811
    draft = make_screening(world.a, world.coordinator, Status.DRAFT)
    response = transition(client, world.organiser_a, draft, {"to": "submitted"})
    assert response.status_code == 200 and response.get_json()["status"] == "submitted"
    error_of(transition(client, world.organiser_a, draft, {"to": "published"}), 403)
    assert status_of(draft) == Status.SUBMITTED
    response = transition(client, world.coordinator, draft, {"to": "published"})
    assert response.get_json()["status"] == "published"
    assert response.headers["ETag"] == f'"{db.session.get(Screening, draft.id).version_id}"'


def test_a_trusted_collective_publishes_on_submit(client, catalogue):
    from tests.test_lifecycle import add_helsinki

    add_helsinki()
    trusted = make_collective("trusted", trusted=True)
    organiser = make_user(Role.ORGANISER, trusted)
    draft = make_screening(trusted, make_user(Role.COORDINATOR), Status.DRAFT)
    response = transition(client, organiser, draft, {"to": "submitted"})
    assert response.get_json()["status"] == "published"


def test_postpone_reschedule_relocate(client, world):  # noqa: F811
    screening = world.screening_a
    sequence = screening.sequence
    response = transition(client, world.organiser_a, screening,
                          {"to": "postponed", "note": "Venue flooded"})
    assert response.get_json()["status"] == "postponed"
    response = transition(client, world.organiser_a, screening,
                          {"to": "published", "starts_at": "2026-12-12T18:00"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "published"
    assert response.get_json()["starts_at"] == "2026-12-12T18:00:00+02:00"
    response = transition(client, world.organiser_a, screening, {
        "to": "relocated", "venue": {"name": "Open Air", "address": "Park 1",
                                     "visibility": "public"}})
    assert response.status_code == 200, response.get_json()
    item = response.get_json()
    assert item["status"] == "relocated" and item["venue"]["name"] == "Open Air"
    assert get(client, item_url(screening)).get_json()["venue"]["address"] == "Park 1"
    db.session.expire_all()
    assert db.session.get(Screening, screening.id).sequence == sequence + 3


def test_cancel_needs_a_reason(client, world):  # noqa: F811
    error = error_of(transition(client, world.organiser_a, world.screening_a,
                                {"to": "cancelled"}), 422)
    assert "reason" in error["fields"]
    error = error_of(transition(client, world.organiser_a, world.screening_a,
                                {"to": "cancelled", "reason": "bored"}), 422)
    assert "reason" in error["fields"]
    response = transition(client, world.organiser_a, world.screening_a,
                          {"to": "cancelled", "reason": "venue_withdrawn"})
    assert response.get_json()["status"] == "cancelled"
    # Cancelled is final.
    error_of(transition(client, world.organiser_a, world.screening_a,
                        {"to": "cancelled", "reason": "other"}), 409, "conflict")


def test_held_needs_the_date_to_have_passed(client, world):  # noqa: F811
    error_of(transition(client, world.organiser_a, world.screening_a, {"to": "held"}),
             409, "conflict")
    past = make_screening(world.a, world.coordinator, Status.PUBLISHED,
                          starts_at=datetime(2024, 5, 1, 19))
    response = transition(client, world.organiser_a, past, {"to": "held", "attendance": 42})
    assert response.get_json()["status"] == "held"
    assert db.session.get(Screening, past.id).actual_attendance == 42


@pytest.mark.parametrize("data, field", [
    ({"to": "draft"}, "to"), ({"to": "submitted", "note": "x"}, "note"),
    ({"to": "postponed", "reason": "threats"}, "reason"),
    ({"to": "held", "attendance": -1}, "attendance"),
    ({"to": "held", "attendance": "12"}, "attendance"),
    ({"to": "relocated"}, "venue"),
    ({"to": "relocated", "venue": {"name": "X"}, "starts_at": "2026-12-12T18:00"}, "starts_at"),
    ({"to": "published", "starts_at": "whenever"}, "starts_at"),
    ({"to": "postponed", "status": "held"}, "status"), ({}, "to"),
    ({"to": "postponed", "note": "x" * 2001}, "note"),
])
def test_refused_transition_bodies(client, world, data, field):  # noqa: F811
    error = error_of(transition(client, world.organiser_a, world.screening_a, data), 422)
    assert field in error["fields"], error
    assert status_of(world.screening_a) == Status.PUBLISHED


def test_transition_role_matrix(client, world):  # noqa: F811
    url = f"{item_url(world.screening_a)}/transitions"
    error_of(client.post(url, json={"to": "postponed"}), 401)
    error_of(transition(client, world.organiser_b, world.screening_a, {"to": "postponed"}), 404)
    error_of(transition(client, world.organiser_a, world.screening_a, {"to": "submitted"}),
             409, "conflict")
    assert transition(client, world.coordinator, world.screening_a,
                      {"to": "postponed"}).status_code == 200
    assert status_of(world.screening_a) == Status.POSTPONED


def test_a_transition_checks_if_match(client, world):  # noqa: F811
    error_of(transition(client, world.organiser_a, world.screening_a, {"to": "postponed"},
                        **{"If-Match": '"999"'}), 412)
    assert status_of(world.screening_a) == Status.PUBLISHED


def test_visibility_enum_matches_the_model():
    from typing import get_args

    from app.api.screening_bodies import Visibility as BodyVisibility

    assert set(get_args(BodyVisibility)) == {v.value for v in Visibility}


def test_the_viewer_agrees_with_the_privacy_and_permission_rules(world):  # noqa: F811
    # items.Viewer reads memberships once per request; it must decide as the services do.
    from app.api.items import Viewer
    from app.services import permissions, privacy

    now = datetime.now(UTC)
    venue = world.screening_a.venue
    for visibility in Visibility:
        for release in (None, now - timedelta(hours=1), now + timedelta(hours=1)):
            venue.visibility, venue.address_release_at = visibility, release
            for user in (None, world.organiser_a, world.organiser_b, world.coordinator):
                viewer = Viewer.of(user)
                for screening in (world.screening_a, world.screening_b):
                    assert viewer.sees_address(screening, now) == privacy.can_see_address(
                        screening, user, now), (visibility, release, user)
                    assert viewer.may_edit(screening) == permissions.can_edit_screening(
                        screening, user)
