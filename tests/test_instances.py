"""Two gunicorn instances (4 workers each) of one site behind two proxies: a session started on
one works on the other, the login limit counts across both through Redis, and ProxyFix with
PROXY_COUNT=2 takes the client's address from the right place in X-Forwarded-For.

Both run gunicorn.conf.py with production settings on a database of their own (see
tests/test_concurrency.py for the server helpers).
"""

import os
import secrets

import pytest
from sqlalchemy import select

from app.models import AuditEvent
from tests.conftest import PASSWORD
from tests.test_concurrency import (
    Browser,
    app_on,
    gunicorn,
    populate,
    scratch_database,
    server_env,
)

REDIS_URL = "redis://127.0.0.1:6379/13"
PROXY = "10.0.0.2"  # the inner proxy, as the outer one reaches it


def forwarded(client: str, spoofed: str | None = None) -> dict[str, str]:
    """X-Forwarded-For as two proxies leave it: what the client sent, the client, the proxy."""
    chain = [spoofed] if spoofed else []
    return {"X-Forwarded-For": ", ".join([*chain, client, PROXY])}


def _redis():
    """A client of the test Redis database; skipped when Redis is not running (not in CI)."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        connection.close()
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return connection


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Instances A and B: one database, one SECRET_KEY, one Redis, PROXY_COUNT=2."""
    connection = _redis()
    prefix = f"instances-{secrets.token_hex(4)}"
    directory = tmp_path_factory.mktemp("instances")
    try:
        with scratch_database(directory) as url, \
                app_on(url, directory / "outbox") as application:
            world = populate()
            emails = (world.organiser_a.email, world.organiser_b.email)
            screening_id = world.screening_a.id
            env = server_env(url, directory, FLASK_RATELIMIT_ENABLED="true",
                             RATELIMIT_STORAGE_URI=REDIS_URL,
                             FLASK_RATELIMIT_KEY_PREFIX=prefix, PROXY_COUNT="2",
                             FORWARDED_ALLOW_IPS="127.0.0.1")
            with gunicorn(env, directory / "a.log") as a, gunicorn(env, directory / "b.log") as b:
                yield a, b, application, emails, screening_id, connection, prefix
    finally:
        for key in connection.scan_iter(match=f"*/{prefix}/*"):
            connection.delete(key)
        connection.close()


def test_a_session_started_on_one_instance_works_on_the_other(site):
    a, b, _application, (email, _other), screening_id, _redis_client, _prefix = site
    # One browser (one cookie jar) whose requests a load balancer sends to A or B.
    browser = Browser(a, headers=forwarded("198.51.100.10"))
    browser.log_in(email)
    browser.server = b
    page = browser.request("GET", "/organiser/")
    assert page.status == 200, page.body[:300]
    assert 'action="/logout"' in page.body
    # A form rendered by B, sent to A: the session and its CSRF token hold on both.
    path = f"/organiser/screenings/{screening_id}/contributions/new"
    token = browser.csrf(path)
    browser.server = a
    sent = browser.request("POST", path, {"csrf_token": token, "amount": "12.00",
                                          "currency": "EUR", "received_on": "2026-01-10",
                                          "channel": "door", "state": "collected"})
    assert sent.status == 302, sent.body[:500]
    assert sent.headers["location"].endswith(f"/organiser/screenings/{screening_id}")
    # Logging out on B logs the browser out on A as well.
    browser.server = b
    token = browser.csrf(path)
    assert browser.request("POST", "/logout", {"csrf_token": token}).status in (302, 303)
    browser.server = a
    assert browser.request("GET", "/organiser/").status == 302


def test_the_login_limit_counts_across_instances(site):
    a, b, _application, (_email, email), _screening_id, connection, prefix = site
    client = "198.51.100.20"
    attempts = [Browser(server, headers=forwarded(client)) for server in (a, b, a, b, a)]
    for browser in attempts:  # 5/minute per account and address, spread over A and B
        token = browser.csrf("/login")
        answer = browser.request("POST", "/login", {"email": email, "password": "wrong guess",
                                                    "csrf_token": token})
        assert answer.status == 422, answer.status
    for server in (a, b):
        browser = Browser(server, headers=forwarded(client))
        token = browser.csrf("/login")
        answer = browser.request("POST", "/login", {"email": email, "password": PASSWORD,
                                                    "csrf_token": token})
        assert answer.status == 429, answer.status
    # Another address (another client behind the same proxies) is not held back.
    elsewhere = Browser(b, headers=forwarded("198.51.100.21"))
    elsewhere.log_in(email)
    keys = [key.decode() for key in connection.scan_iter(match=f"*/{prefix}/*")]
    assert any("auth.login" in key for key in keys), keys


def test_proxy_count_two_takes_the_address_the_outer_proxy_saw(site):
    a, b, application, (email, _other), _screening_id, _redis_client, _prefix = site
    for server, headers, expected in (
        # The client's own X-Forwarded-For entry (leftmost) is not believed.
        (a, forwarded("192.0.2.77", spoofed="203.0.113.1"), "192.0.2.77"),
        (b, forwarded("192.0.2.78"), "192.0.2.78"),
        # Fewer entries than proxies: not from the proxies, so nothing is taken from it.
        (a, {"X-Forwarded-For": "203.0.113.2"}, "127.0.0.1"),
    ):
        browser = Browser(server, headers=headers)
        token = browser.csrf("/login")
        answer = browser.request("POST", "/login", {"email": email, "password": "not it",
                                                    "csrf_token": token})
        assert answer.status == 422
        with application.app_context():
            from app.extensions import db

            ip = db.session.scalar(select(AuditEvent.ip).where(
                AuditEvent.action == "auth.login_failed").order_by(AuditEvent.id.desc()))
            db.session.remove()
        assert ip == expected
