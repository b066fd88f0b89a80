"""Who may call the API: Bearer tokens (API only) or the session cookie (with the CSRF header
for writes), 401 for anonymous callers and bad tokens, 403 for coordinators without 2FA."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import ApiToken, Contribution, User
from app.security import LOGIN_AT, SEEN_AT
from app.services import api_tokens
from tests.conftest import FreshContextClient, login
from tests.test_api_support import (
    API,
    bearer,
    contribution_body,
    contributions_url,
    error_of,
    token_for,
    world,  # noqa: F401  (fixture)
)


def contribution_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Contribution))


# --- the matrix ----------------------------------------------------------------------------------


def _credentials(world, who: str):  # noqa: F811
    """(headers, session user) for a kind of caller."""
    if who == "anonymous":
        return {}, None
    if who == "revoked":
        token = token_for(world.organiser_a)
        api_tokens.revoke(db.session.scalar(select(ApiToken.id)), world.organiser_a)
        db.session.commit()
        return bearer(token), None
    if who == "deactivated":
        token = token_for(world.organiser_a)
        world.organiser_a.is_active = False
        db.session.commit()
        return bearer(token), None
    if who == "unknown":
        return bearer("ss_" + "A" * 43), None
    user = getattr(world, who)
    return bearer(token_for(user)), user


MATRIX = [
    # who, reading A's contributions, recording one for A, setting a rate
    ("anonymous", 401, 401, 401),
    ("organiser_a", 200, 201, 403),
    ("organiser_b", 404, 404, 403),
    ("unenrolled", 403, 403, 403),
    ("coordinator", 200, 201, 201),
    ("revoked", 401, 401, 401),
    ("deactivated", 401, 401, 401),
    ("unknown", 401, 401, 401),
]


@pytest.mark.parametrize("who, read, record, rate", MATRIX, ids=[m[0] for m in MATRIX])
def test_the_matrix_with_bearer_tokens(client, world, who, read, record, rate):  # noqa: F811
    headers, _user = _credentials(world, who)
    url = contributions_url(world.screening_a)
    response = client.get(url, headers=headers)
    assert response.status_code == read, response.get_json()
    response = client.post(url, json=contribution_body(), headers=headers)
    assert response.status_code == record, response.get_json()
    response = client.post(f"{API}/rates", json={"currency": "PLN", "valid_on": "2024-01-01",
                                                 "per_base": "4.3"}, headers=headers)
    assert response.status_code == rate, response.get_json()
    assert contribution_count() == (1 if record == 201 else 0)
    if who == "unenrolled":
        error_of(response, 403, "two_factor_required")
    if who in ("revoked", "deactivated", "unknown"):
        error_of(response, 401, "invalid_token")


@pytest.mark.parametrize("who, read, record", [
    ("organiser_a", 200, 201), ("organiser_b", 404, 404), ("coordinator", 200, 201),
    ("unenrolled", 403, 403),
])
def test_the_matrix_with_the_session_cookie(client, world, who, read, record):  # noqa: F811
    login(client, getattr(world, who))
    url = contributions_url(world.screening_a)
    response = client.get(url)
    assert response.status_code == read, response.get_json()
    response = client.post(url, json=contribution_body())
    assert response.status_code == record, response.get_json()
    if who == "unenrolled":
        # JSON, not the redirect to the enrolment page the HTML pages answer with.
        error_of(response, 403, "two_factor_required")
        assert client.get("/organiser/").status_code == 302


def test_everyone_may_read_totals_but_only_accounts_read_rates(client, world):  # noqa: F811
    assert client.get(f"{API}/totals").status_code == 200
    error_of(client.get(f"{API}/rates"), 401, "unauthorized")
    assert client.get(f"{API}/rates", headers=bearer(token_for(world.organiser_b))) \
        .status_code == 200


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc",
                                    "bearer ss_nope", "Bearer " + "x" * 500])
def test_other_credentials_are_refused_not_ignored(client, world, header):  # noqa: F811
    # Even on a public endpoint: a client sending broken credentials should hear about it.
    error_of(client.get(f"{API}/totals", headers={"Authorization": header}), 401,
             "invalid_token")


def test_the_scheme_is_case_insensitive(client, world):  # noqa: F811
    token = token_for(world.organiser_a)
    response = client.get(contributions_url(world.screening_a),
                          headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_a_deactivated_users_token_stops_at_once_and_works_again_if_reactivated(
        client, world):  # noqa: F811
    token = token_for(world.organiser_a)
    url = contributions_url(world.screening_a)
    assert client.get(url, headers=bearer(token)).status_code == 200
    db.session.get(User, world.organiser_a.id).is_active = False
    db.session.commit()
    error_of(client.get(url, headers=bearer(token)), 401, "invalid_token")


# --- a token is for the API only, and never becomes a session -----------------------------------


@pytest.mark.parametrize("path", ["/organiser/", "/account/", "/account/tokens",
                                  "/coordination/"])
def test_a_bearer_token_does_not_log_in_to_html_pages(client, world, path):  # noqa: F811
    token = token_for(world.coordinator)
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_token_request_sets_no_session(client, world):  # noqa: F811
    token = token_for(world.organiser_a)
    url = contributions_url(world.screening_a)
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    error_of(client.get(url), 401)


def test_the_bearer_token_wins_over_the_cookie(client, world):  # noqa: F811
    login(client, world.organiser_b)
    url = contributions_url(world.screening_a)
    assert client.get(url).status_code == 404
    assert client.get(url, headers=bearer(token_for(world.organiser_a))).status_code == 200
    # A bad token is not rescued by the cookie.
    error_of(client.get(f"{API}/rates", headers=bearer("ss_wrong")), 401, "invalid_token")


def test_an_expired_session_answers_401_json_not_a_redirect(app, client, world):  # noqa: F811
    login(client, world.organiser_a)
    url = contributions_url(world.screening_a)
    assert client.get(url).status_code == 200
    old = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 10
    with client.session_transaction() as session:
        session[SEEN_AT] = old
        session[LOGIN_AT] = old
    error_of(client.get(url), 401, "unauthorized")
    error_of(client.post(url, json=contribution_body()), 401, "unauthorized")
    assert contribution_count() == 0


def test_an_expired_session_does_not_stop_a_bearer_token(app, client, world):  # noqa: F811
    login(client, world.organiser_b)
    old = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 10
    with client.session_transaction() as session:
        session[SEEN_AT] = old
    response = client.get(contributions_url(world.screening_a),
                          headers=bearer(token_for(world.organiser_a)))
    assert response.status_code == 200


# --- last use, at most once a minute -------------------------------------------------------------


def test_last_use_is_stamped_at_most_once_a_minute(client, world):  # noqa: F811
    token = token_for(world.organiser_a)
    record = db.session.scalars(select(ApiToken)).one()
    assert record.last_used_at is None
    assert client.get(f"{API}/rates", headers=bearer(token)).status_code == 200
    first = db.session.scalars(select(ApiToken)).one().last_used_at
    assert first is not None
    assert client.get(f"{API}/rates", headers=bearer(token)).status_code == 200
    assert db.session.scalars(select(ApiToken)).one().last_used_at == first
    # A minute later (told to the service directly: no sleeping in tests).
    api_tokens.authenticate(token, now=first + timedelta(seconds=59))
    db.session.commit()
    assert db.session.scalars(select(ApiToken)).one().last_used_at == first
    api_tokens.authenticate(token, now=first + timedelta(seconds=61))
    db.session.commit()
    assert db.session.scalars(select(ApiToken)).one().last_used_at == first + timedelta(
        seconds=61)


def test_a_failed_request_still_records_the_use(client, world):  # noqa: F811
    token = token_for(world.organiser_b)
    error_of(client.post(contributions_url(world.screening_a), json=contribution_body(),
                         headers=bearer(token)), 404)
    assert db.session.scalars(select(ApiToken)).one().last_used_at is not None


# --- CSRF: needed with the cookie, not with a token ----------------------------------------------


@pytest.fixture
def csrf_app(app):
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"], WTF_CSRF_ENABLED=True)
    extra.test_client_class = FreshContextClient
    yield extra
    with extra.app_context():
        db.engine.dispose()


TOKEN_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _csrf_login(client, user) -> str:
    """Log in through the forms with CSRF on; the session's CSRF token."""
    token = TOKEN_FIELD.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": user.email, "password":
                                           "correct horse battery staple", "csrf_token": token})
    assert response.status_code == 302
    page = client.get("/account/password").get_data(as_text=True)
    return TOKEN_FIELD.search(page).group(1)


def test_a_cookie_write_needs_the_csrf_header(csrf_app, world):  # noqa: F811
    client = csrf_app.test_client()
    csrf_token = _csrf_login(client, world.organiser_a)
    url = contributions_url(world.screening_a)
    error_of(client.post(url, json=contribution_body()), 400, "csrf_failed")
    error_of(client.post(url, json=contribution_body(), headers={"X-CSRFToken": "forged"}),
             400, "csrf_failed")
    assert contribution_count() == 0
    # Reads need no token.
    assert client.get(url).status_code == 200
    response = client.post(url, json=contribution_body(), headers={"X-CSRFToken": csrf_token})
    assert response.status_code == 201, response.get_json()
    assert contribution_count() == 1


def test_a_token_write_needs_no_csrf_token(csrf_app, world):  # noqa: F811
    client = csrf_app.test_client()
    response = client.post(contributions_url(world.screening_a), json=contribution_body(),
                           headers=bearer(token_for(world.organiser_a)))
    assert response.status_code == 201, response.get_json()


def test_a_csrf_token_of_another_session_is_refused(csrf_app, world):  # noqa: F811
    attacker, victim = csrf_app.test_client(), csrf_app.test_client()
    stolen = _csrf_login(attacker, world.organiser_b)
    _csrf_login(victim, world.organiser_a)
    error_of(victim.post(contributions_url(world.screening_a), json=contribution_body(),
                         headers={"X-CSRFToken": stolen}), 400, "csrf_failed")
    assert contribution_count() == 0
