"""CSRF protection on every state-changing route, with CSRF switched on as in production.

For every rule of the URL map that takes POST, PUT, PATCH or DELETE, a person allowed to use
it (tests/security_routes.py picks who, and how to fill the URL and the body) sends the write
without a token: it must answer 400 and change no row of any table (every row of every table
is compared, so a target's updated_at and version are compared too) and send no mail. The same
request with a valid token then gets the answer the route-by-role matrix expects, which proves
that the 400 came from the missing token and not from something else.
"""

import re

import pyotp
import pytest
from sqlalchemy import update

from app import create_app
from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, FreshContextClient
from tests.security_routes import (
    ROUTES,
    WRITE_METHODS,
    body_for,
    build_world,
    classified_methods,
    mismatch,
    role_for_csrf,
    rules,
    snapshot_difference,
    table_snapshot,
    url_for_rule,
)


def _writes() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every write in the URL map, read at collection time.

    The app built here only lends its URL map: it opens no database connection.
    """
    probe = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    return [(rule.endpoint, rule.rule, method) for rule in rules(probe)
            for method in classified_methods(rule) if method in WRITE_METHODS]


WRITES = _writes()


@pytest.fixture(scope="module")
def csrf_app(app):
    """A second app on the same database and outbox, with CSRF protection on."""
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"], WTF_CSRF_ENABLED=True)
    extra.test_client_class = FreshContextClient
    yield extra
    with extra.app_context():
        db.engine.dispose()


TOKEN_FIELD = re.compile(r'name="(?:[\w-]+-)?csrf_token" type="hidden" value="([^"]+)"')


def token_on(client, path: str) -> str:
    """The CSRF token of the first form on a page (valid for this session's forms)."""
    response = client.get(path)
    assert response.status_code == 200, f"GET {path}: {response.status_code}"
    match = TOKEN_FIELD.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client, user: User, second_factor: bool = True) -> None:
    """Log in through the forms, token and all; stop before the second step if asked."""
    token = token_on(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    if not response.headers["Location"].startswith("/login/two-factor") or not second_factor:
        return
    # The conftest login() does the same: logins within one 30-second step reuse the code.
    db.session.execute(update(User).where(User.id == user.id).values(totp_last_step=None))
    db.session.commit()
    token = token_on(client, "/login/two-factor")
    response = client.post("/login/two-factor", data={
        "code": pyotp.TOTP(user.totp_secret).now(), "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def act_as(client, world, role: str) -> str:
    """Put the client in the role's shoes; the page where a fresh token can be read."""
    if role == "anonymous":
        return "/login"
    if role == "pending":  # the password step passed, the two-factor step not yet
        log_in(client, world.user("coordinator"), second_factor=False)
        return "/login/two-factor"
    log_in(client, world.user(role))
    return "/account/password"


def with_token(data: dict, token: str) -> dict:
    """The body with the token, also under each form prefix used ("cancel-csrf_token")."""
    prefixes = {key.split("-", 1)[0] for key in data if "-" in key}
    return {**data, "csrf_token": token, **{f"{p}-csrf_token": token for p in prefixes}}


@pytest.mark.parametrize("endpoint, path, method", WRITES,
                         ids=[f"{m} {e}" for e, _p, m in WRITES])
def test_a_write_without_a_csrf_token_is_refused_and_changes_nothing(
        app, csrf_app, catalogue, outbox, endpoint, path, method):
    route = ROUTES.get(endpoint)
    assert route is not None and route.data is not None, (
        f"{endpoint} ({path}) is not classified in tests/security_routes.py ROUTES")
    rule = next(r for r in app.url_map.iter_rules(endpoint) if r.rule == path)
    world = build_world()
    role = role_for_csrf(endpoint, method)
    client = csrf_app.test_client()
    token_page = act_as(client, world, role)
    url = url_for_rule(rule, world)
    data = body_for(endpoint, world)
    mails = len(outbox())
    before = table_snapshot()

    response = client.open(url, method=method, data=data)

    assert response.status_code == 400, f"{method} {url} as {role}: {response.status_code}"
    assert snapshot_difference(before, table_snapshot()) == []
    assert len(outbox()) == mails

    # The control: the same request with the session's token is let through.
    response = client.open(url, method=method, data=with_token(body_for(endpoint, world),
                                                                token_on(client, token_page)))
    assert response.status_code != 400
    expect = route.csrf_expect if route.csrf_expect is not None else \
        route.expectations(method)[role]
    assert mismatch(response, expect, url) is None, mismatch(response, expect, url)


def test_every_write_in_the_url_map_is_tested_here(app):
    # WRITES was read from an app built at collection time: the same map as the test app's.
    live = [(rule.endpoint, rule.rule, method) for rule in rules(app)
            for method in classified_methods(rule) if method in WRITE_METHODS]
    assert live == WRITES
    assert len(WRITES) >= 25  # the map was read, not an empty list


def test_a_token_from_another_session_is_refused(app, csrf_app, catalogue):
    world = build_world()
    attacker, victim = csrf_app.test_client(), csrf_app.test_client()
    log_in(attacker, world.user("organiser_b"))
    stolen = token_on(attacker, "/account/password")
    log_in(victim, world.user("organiser_a"))
    before = table_snapshot()
    response = victim.post(f"/organiser/screenings/{world.lifecycle.id}/cancel",
                           data={"cancel-reason": "threats", "cancel-csrf_token": stolen,
                                 "csrf_token": stolen})
    assert response.status_code == 400
    assert snapshot_difference(before, table_snapshot()) == []


def test_a_token_is_not_read_from_the_query_string(app, csrf_app, catalogue):
    world = build_world()
    client = csrf_app.test_client()
    log_in(client, world.user("organiser_a"))
    token = token_on(client, "/account/password")
    before = table_snapshot()
    response = client.post(f"/organiser/screenings/{world.lifecycle.id}/cancel?csrf_token={token}",
                           data={"cancel-reason": "threats"})
    assert response.status_code == 400
    assert snapshot_difference(before, table_snapshot()) == []


def test_a_token_from_before_logging_in_does_not_work_after(app, csrf_app, catalogue):
    # Logging in starts a new session, so a token planted or read before no longer counts.
    world = build_world()
    client = csrf_app.test_client()
    before_login = token_on(client, "/login")
    log_in(client, world.user("organiser_a"))
    before = table_snapshot()
    response = client.post(f"/organiser/screenings/{world.lifecycle.id}/cancel",
                           data={"cancel-reason": "threats", "cancel-csrf_token": before_login,
                                 "csrf_token": before_login})
    assert response.status_code == 400
    assert snapshot_difference(before, table_snapshot()) == []


def test_a_json_body_needs_the_token_too(app, csrf_app, catalogue):
    world = build_world()
    client = csrf_app.test_client()
    log_in(client, world.user("organiser_a"))
    before = table_snapshot()
    response = client.post(f"/organiser/screenings/{world.lifecycle.id}/cancel",
                           json={"cancel-reason": "threats"})
    assert response.status_code == 400
    assert snapshot_difference(before, table_snapshot()) == []
