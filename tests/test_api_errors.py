"""Every API error, whatever raised it, answers {"error": {"code", "message", "fields"}} as
JSON: werkzeug's own 404 and 405, bodies that are not JSON, too large or malformed, domain
errors, rate limits and unexpected exceptions. Never an HTML page or a traceback."""

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Contribution
from app.services import ledger
from app.services.errors import DomainError, TransitionError
from tests.test_api_support import (
    API,
    bearer,
    contribution_body,
    contributions_url,
    error_of,
    token_for,
    world,  # noqa: F401  (fixture)
)


@pytest.fixture
def token(world):  # noqa: F811
    return token_for(world.organiser_a)


def contribution_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Contribution))


@pytest.mark.parametrize("method, path", [
    ("GET", f"{API}/no-such-thing"),
    ("GET", API),
    ("POST", f"{API}/screenings/1/contributions/extra"),
    ("GET", f"{API}/screenings/not-a-number/contributions"),
])
def test_unknown_addresses_answer_404_json(client, method, path):
    error_of(client.open(path, method=method), 404, "not_found")


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
def test_a_method_the_address_does_not_take_answers_405_json_with_allow(client, method):
    response = client.open(f"{API}/rates", method=method)
    error_of(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_html_pages_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_missing_screening_is_404_json(client, world, token):  # noqa: F811
    error_of(client.get(f"{API}/screenings/999999/contributions", headers=bearer(token)), 404,
             "not_found")


def test_anonymous_gets_401_json_with_a_bearer_challenge(client):
    response = client.get(f"{API}/rates")
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_organiser_setting_a_rate_gets_403_json(client, world, token):  # noqa: F811
    error_of(client.post(f"{API}/rates", json={"currency": "PLN", "valid_on": "2026-01-01",
                                               "per_base": "4.2"}, headers=bearer(token)),
             403, "forbidden")


@pytest.mark.parametrize("raw", [b"{", b"", b"not json", b'{"amount": "1",}', b"\xff\xfe"])
def test_a_body_that_is_not_json_answers_400(client, world, token, raw):  # noqa: F811
    response = client.post(contributions_url(world.screening_a), data=raw,
                           content_type="application/json", headers=bearer(token))
    error_of(response, 400, "invalid_json")
    assert contribution_count() == 0


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"12", b"null"])
def test_a_body_that_is_not_an_object_answers_400(client, world, token, raw):  # noqa: F811
    error_of(client.post(contributions_url(world.screening_a), data=raw,
                         content_type="application/json", headers=bearer(token)),
             400, "invalid_json")


@pytest.mark.parametrize("kwargs", [
    {"data": '{"amount": "1"}'},  # no Content-Type at all
    {"data": '{"amount": "1"}', "content_type": "text/plain"},
    {"data": contribution_body()},  # a form, as a browser sends it
    {"data": contribution_body(), "content_type": "multipart/form-data"},
], ids=["none", "text", "form", "multipart"])
def test_a_write_that_is_not_json_answers_415(client, world, token, kwargs):  # noqa: F811
    response = client.post(contributions_url(world.screening_a), headers=bearer(token), **kwargs)
    error_of(response, 415, "unsupported_media_type")
    assert contribution_count() == 0


def test_a_body_over_the_limit_answers_413(client, world, token):  # noqa: F811
    body = contribution_body(note="x" * 70_000)
    error_of(client.post(contributions_url(world.screening_a), json=body, headers=bearer(token)),
             413, "too_large")
    assert contribution_count() == 0


def test_a_body_over_the_site_limit_answers_413_too(client, world, token):  # noqa: F811
    raw = b'{"note": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    error_of(client.post(contributions_url(world.screening_a), data=raw,
                         content_type="application/json", headers=bearer(token)), 413)


def test_field_errors_answer_422_with_fields(client, world, token):  # noqa: F811
    error = error_of(client.post(contributions_url(world.screening_a),
                                 json=contribution_body(amount="-5", channel="carrier pigeon"),
                                 headers=bearer(token)), 422, "validation_failed")
    assert set(error["fields"]) == {"amount", "channel"}


@pytest.mark.parametrize("exc, status, code", [
    (ledger.StaleEdit("Changed since."), 409, "stale"),
    (TransitionError("Not from here."), 409, "conflict"),
    (DomainError("A rule says no."), 422, "rule_broken"),
])
def test_domain_errors_map_to_statuses(client, world, token, monkeypatch, exc, status,  # noqa: F811
                                       code):
    def refuse(*_args, **_kwargs):
        raise exc

    monkeypatch.setattr(ledger, "record_contribution", refuse)
    error = error_of(client.post(contributions_url(world.screening_a), json=contribution_body(),
                                 headers=bearer(token)), status, code)
    assert error["message"] == str(exc)


def test_an_unexpected_exception_is_500_json_without_a_traceback(app, client, world, token,  # noqa: F811
                                                                  monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals /srv/app.py line 12")

    monkeypatch.setattr(ledger, "record_contribution", explode)
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    response = client.post(contributions_url(world.screening_a), json=contribution_body(),
                           headers=bearer(token))
    error_of(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_error_answers_are_never_cached(client):
    assert client.get(f"{API}/nothing").headers["Cache-Control"] == "no-store"
    assert client.get(f"{API}/rates").headers["Cache-Control"] == "no-store"


# --- rate limits ---------------------------------------------------------------------------------


@pytest.fixture
def limited_app(app):
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"], RATELIMIT_ENABLED=True,
                       RATELIMIT_STORAGE_URI="memory://")
    extra.test_client_class = type(app.test_client())
    yield extra
    with extra.app_context():
        db.engine.dispose()


def test_too_many_writes_answer_429_json_per_user(limited_app, world, token):  # noqa: F811
    client = limited_app.test_client()
    url = contributions_url(world.screening_a)
    for _ in range(60):  # refused bodies count too: each one is a request to check
        assert client.post(url, json={}, headers=bearer(token)).status_code == 422
    response = client.post(url, json=contribution_body(), headers=bearer(token))
    error_of(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 0
    assert contribution_count() == 0
    # Another person is not affected, and reads are counted apart.
    other = token_for(world.coordinator)
    assert client.post(url, json=contribution_body(), headers=bearer(other)).status_code == 201
    assert client.get(url, headers=bearer(token)).status_code == 200
