"""Idempotency-Key on every API POST: replay without doing the work again, 422 for another body,
409 while in flight, per-user keys, expiry, and no key left behind by a failed request."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.api import idempotency
from app.extensions import db
from app.models import AuditEvent, Contribution, ExchangeRate, Screening, Status, utcnow
from app.models.ops import IdempotencyKey
from tests.test_api_screenings import body as screening_body
from tests.test_api_support import (
    API,
    TODAY,
    bearer,
    contribution_body,
    contributions_url,
    error_of,
    token_for,
    world,  # noqa: F401  (fixture)
)

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


def keyed(token: str, key: str = KEY) -> dict[str, str]:
    return {**bearer(token), "Idempotency-Key": key}


def count(model=Contribution) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def keys() -> list[IdempotencyKey]:
    return list(db.session.scalars(select(IdempotencyKey).order_by(IdempotencyKey.id)))


@pytest.fixture
def token(world):  # noqa: F811
    return token_for(world.organiser_a)


def test_a_retry_gets_the_stored_answer_and_records_nothing_again(client, world, token):  # noqa: F811
    url = contributions_url(world.screening_a)
    first = client.post(url, json=contribution_body(), headers=keyed(token))
    assert first.status_code == 201, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    # The same JSON with other spacing and key order is the same request.
    text = json.dumps(dict(reversed(contribution_body().items())), indent=2)
    again = client.post(url, data=text, content_type="application/json", headers=keyed(token))
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Cache-Control"] == "no-store"
    assert count() == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "contribution.create")) == 1
    (row,) = keys()
    assert (row.status_code, row.method, row.path) == (201, "POST", url)


def test_without_the_header_nothing_changes(client, world, token):  # noqa: F811
    url = contributions_url(world.screening_a)
    for _ in range(2):
        assert client.post(url, json=contribution_body(), headers=bearer(token)).status_code == 201
    assert count() == 2 and keys() == []


def test_the_same_key_with_another_body_or_address_is_refused(client, world, token):  # noqa: F811
    url = contributions_url(world.screening_a)
    assert client.post(url, json=contribution_body(), headers=keyed(token)).status_code == 201
    other = client.post(url, json=contribution_body(amount="99.00"), headers=keyed(token))
    error_of(other, 422, "idempotency_key_reused")
    elsewhere = client.post(contributions_url(world.screening_b), json=contribution_body(),
                            headers=keyed(token))
    error_of(elsewhere, 422, "idempotency_key_reused")
    assert count() == 1


def _in_flight(app, user_id: int, url: str, body: dict, age: timedelta) -> None:
    """A claim as a request that is still running (or whose worker died) leaves it."""
    with app.test_request_context(url, method="POST", json=body):
        digest = idempotency.fingerprint()
    stamp = utcnow() - age
    db.session.add(IdempotencyKey(user_id=user_id, key=KEY, method="POST", path=url,
                                  request_hash=digest, created_at=stamp, updated_at=stamp))
    db.session.commit()


def test_a_key_still_in_flight_answers_409(app, client, world, token):  # noqa: F811
    url = contributions_url(world.screening_a)
    _in_flight(app, world.organiser_a.id, url, contribution_body(), timedelta(seconds=5))
    response = client.post(url, json=contribution_body(), headers=keyed(token))
    error_of(response, 409, "idempotency_key_in_flight")
    assert response.headers["Retry-After"] == "1"
    assert count() == 0
    # Another body with the key is still the client's mistake, in flight or not.
    error_of(client.post(url, json=contribution_body(amount="1.00"), headers=keyed(token)), 422,
             "idempotency_key_reused")


def test_an_abandoned_claim_is_taken_over_by_a_retry(app, client, world, token):  # noqa: F811
    url = contributions_url(world.screening_a)
    _in_flight(app, world.organiser_a.id, url, contribution_body(),
               idempotency.CLAIM_ABANDONED + timedelta(seconds=1))
    response = client.post(url, json=contribution_body(), headers=keyed(token))
    assert response.status_code == 201, response.get_json()
    assert count() == 1
    (row,) = keys()
    assert row.status_code == 201
    assert client.post(url, json=contribution_body(), headers=keyed(token)).get_json() == \
        response.get_json()
    assert count() == 1


def test_keys_belong_to_one_user(client, world, token):  # noqa: F811
    url = contributions_url(world.screening_a)
    colleague = token_for(world.coordinator)
    mine = client.post(url, json=contribution_body(), headers=keyed(token))
    theirs = client.post(url, json=contribution_body(), headers=keyed(colleague))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert count() == 2
    again = client.post(url, json=contribution_body(), headers=keyed(colleague))
    assert again.get_json() == theirs.get_json() and count() == 2


def test_keys_expire_after_a_day(client, world, token):  # noqa: F811
    url = contributions_url(world.screening_a)
    assert client.post(url, json=contribution_body(), headers=keyed(token)).status_code == 201
    other_user = token_for(world.organiser_b)
    assert client.post(contributions_url(world.screening_b), json=contribution_body(),
                       headers=keyed(other_user, "old-key")).status_code == 201
    old = utcnow() - idempotency.KEY_LIFETIME - timedelta(minutes=1)
    db.session.execute(update(IdempotencyKey).values(created_at=old, updated_at=old))
    db.session.commit()
    # An expired key is forgotten: the same request is new work, with another body too.
    again = client.post(url, json=contribution_body(amount="5.00"), headers=keyed(token))
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert count() == 3
    assert [row.key for row in keys()] == ["old-key", KEY]  # this user's old row went
    assert idempotency.purge_expired() == 1  # the sweep takes everyone's
    db.session.commit()
    assert [row.key for row in keys()] == [KEY]


def test_a_failed_request_leaves_no_key_and_may_be_sent_again(client, world, token):  # noqa: F811
    url = contributions_url(world.screening_a)
    refused = client.post(url, json=contribution_body(amount="-3"), headers=keyed(token))
    error_of(refused, 422, "validation_failed")
    error_of(client.post(url, data="{", content_type="application/json", headers=keyed(token)),
             400, "invalid_json")
    assert keys() == [] and count() == 0
    # The corrected request with the same key is not "another body for a used key".
    assert client.post(url, json=contribution_body(), headers=keyed(token)).status_code == 201
    assert count() == 1


def test_another_collectives_screening_leaves_no_key(client, world, token):  # noqa: F811
    response = client.post(contributions_url(world.screening_b), json=contribution_body(),
                           headers=keyed(token))
    error_of(response, 404)
    assert keys() == []


@pytest.mark.parametrize("value", ["", " ", "x" * 256, "two words", "caf\u00e9", '"a"b"',
                                   "back\\slash"])
def test_malformed_keys_answer_400(client, world, token, value):  # noqa: F811
    response = client.post(contributions_url(world.screening_a), json=contribution_body(),
                           headers=keyed(token, value))
    error_of(response, 400, "invalid_idempotency_key")
    assert count() == 0 and keys() == []


def test_a_quoted_key_is_the_same_key(client, world, token):  # noqa: F811
    url = contributions_url(world.screening_a)
    first = client.post(url, json=contribution_body(), headers=keyed(token, f'"{KEY}"'))
    again = client.post(url, json=contribution_body(), headers=keyed(token, KEY))
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json() and count() == 1


def test_anonymous_callers_get_401_not_a_key(client, world):  # noqa: F811
    response = client.post(contributions_url(world.screening_a), json=contribution_body(),
                           headers={"Idempotency-Key": KEY})
    error_of(response, 401)
    assert keys() == []


# --- every POST of the API ------------------------------------------------------------------------


def _screening(world):  # noqa: F811
    return f"{API}/screenings", screening_body(), world.organiser_a, Screening


def _contribution(world):  # noqa: F811
    return contributions_url(world.screening_a), contribution_body(), world.organiser_a, \
        Contribution


def _transition(world):  # noqa: F811
    db.session.execute(update(Screening).where(Screening.id == world.screening_a.id)
                       .values(status=Status.DRAFT))
    db.session.commit()
    return f"{API}/screenings/{world.screening_a.id}/transitions", {"to": "submitted"}, \
        world.organiser_a, AuditEvent


def _rate(world):  # noqa: F811
    body = {"currency": "PLN", "valid_on": (TODAY - timedelta(days=3)).isoformat(),
            "per_base": "4.2750"}
    return f"{API}/rates", body, world.coordinator, ExchangeRate


@pytest.mark.parametrize("setup", [_screening, _contribution, _transition, _rate],
                         ids=["screenings", "contributions", "transitions", "rates"])
def test_every_post_endpoint_replays(app, client, world, setup):  # noqa: F811
    url, body, user, model = setup(world)
    token = token_for(user)
    before = count(model)
    first = client.post(url, json=body, headers=keyed(token))
    assert 200 <= first.status_code < 300, first.get_json()
    done = count(model)
    assert done > before
    again = client.post(url, json=body, headers=keyed(token))
    assert again.status_code == first.status_code
    assert again.get_data() == first.get_data()
    for name in ("Location", "ETag", "Content-Type"):
        assert again.headers.get(name) == first.headers.get(name)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(model) == done  # the work was not done again
    error_of(client.post(url, json={**body, "extra": 1}, headers=keyed(token)), 422,
             "idempotency_key_reused")
    # Every POST route of the API is one of these (a new one needs the decorator and a case).
    posts = {rule.rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith(API) and "POST" in rule.methods}
    assert posts == {f"{API}/screenings", f"{API}/screenings/<int:screening_id>/contributions",
                     f"{API}/screenings/<int:screening_id>/transitions", f"{API}/rates"}
    assert all(getattr(app.view_functions[rule.endpoint], "idempotent", False)
               for rule in app.url_map.iter_rules()
               if rule.rule in posts and "POST" in rule.methods)


def test_a_replay_is_the_first_answer_even_after_changes(client, world):  # noqa: F811
    token = token_for(world.organiser_a)
    first = client.post(f"{API}/screenings", json=screening_body(), headers=keyed(token))
    assert first.status_code == 201
    location = first.headers["Location"]
    changed = client.patch(location, json={"title": "Renamed"}, headers=bearer(token))
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    again = client.post(f"{API}/screenings", json=screening_body(), headers=keyed(token))
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert count(Screening) == 3  # the world's two and this one


def test_the_document_describes_the_header_on_every_post(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    parameter = doc["components"]["parameters"]["idempotency_key"]
    assert (parameter["name"], parameter["in"], parameter["required"]) == (
        "Idempotency-Key", "header", False)
    posts = [(path, item["post"]) for path, item in doc["paths"].items() if "post" in item]
    assert len(posts) == 4
    for path, operation in posts:
        assert {"$ref": "#/components/parameters/idempotency_key"} in operation["parameters"]
        assert {"400", "409", "422"} <= set(operation["responses"]), path
        (ok,) = [r for status, r in operation["responses"].items() if status.startswith("2")]
        assert "Idempotent-Replayed" in ok["headers"], path
    causes = doc["components"]["responses"]
    assert "idempotency_key_in_flight" in causes["Conflict"]["description"]
    assert "idempotency_key_reused" in causes["ValidationFailed"]["description"]
