"""Rate limits: per address and per account, no lock-out of the owner, 429 page, Redis storage."""

import logging
import os
from datetime import UTC, datetime

import pyotp
import pytest

from app import create_app, ratelimits
from app.extensions import db, limiter
from app.models import Role
from tests.conftest import PASSWORD, login, make_collective, make_user

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
REDIS_URL = "redis://127.0.0.1:6379/15"


def limited(app, **overrides):
    """Another app on the session app's database, with rate limits on and fresh storage."""
    settings = dict(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    settings.update(overrides)
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"], **settings)
    extra.test_client_class = type(app.test_client())
    # The limiter is one module-level object shared by every app of this process: a test
    # whose storage was unreachable leaves it counting in its in-memory fallback, which it
    # leaves again at some later request, splitting the counts of the next test.
    limiter._storage_dead = False
    return extra


@pytest.fixture
def limited_app(app):
    extra = limited(app)
    yield extra
    with extra.app_context():
        db.engine.dispose()


def log_in(client, email, password=PASSWORD, ip=ATTACKER):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def assert_rate_limited(response):
    """The site's own 429 page, saying when to come back, with the security headers."""
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "Too many requests" in body
    assert "Solidarity Screenings" in body  # the site's layout
    assert int(response.headers["Retry-After"]) >= 0
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_hammering_one_account_from_one_address_does_not_lock_out_the_owner(limited_app):
    victim = make_user(email="victim@x.example")
    attacker = limited_app.test_client()
    for _ in range(5):
        assert log_in(attacker, "victim@x.example", "wrong password guess").status_code == 422
    assert_rate_limited(log_in(attacker, "victim@x.example", "another guess"))
    # Spelling the email differently is the same account.
    assert log_in(attacker, "  Victim@X.example ", "another guess").status_code == 429
    # Even the right password is refused from that address for now...
    assert log_in(attacker, victim.email).status_code == 429
    # ...but the owner, somewhere else, logs in at once.
    owner = limited_app.test_client()
    response = log_in(owner, victim.email, ip=OWNER)
    assert response.status_code == 302
    assert owner.get("/organiser/", environ_base={"REMOTE_ADDR": OWNER}).status_code == 200


def test_one_address_is_limited_across_accounts(limited_app):
    client = limited_app.test_client()
    for number in range(30):
        assert log_in(client, f"guess{number}@x.example", "nope").status_code == 422
    assert_rate_limited(log_in(client, "guess-more@x.example", "nope"))
    # Only POSTs count: the form still shows, and other addresses are not affected.
    assert client.get("/login", environ_base={"REMOTE_ADDR": ATTACKER}).status_code == 200
    assert log_in(client, "someone@x.example", "nope", ip=OWNER).status_code == 422


def test_rate_limits_are_off_in_the_test_configuration(client):
    for _ in range(8):
        assert log_in(client, "victim@x.example", "nope").status_code == 422


def test_two_factor_codes_are_limited_per_user_across_addresses(limited_app):
    user = make_user(Role.COORDINATOR)
    other = make_user(Role.COORDINATOR)
    for person in (user, other):
        person.totp_secret = pyotp.random_base32()
        person.totp_confirmed_at = datetime.now(UTC)
    db.session.commit()

    def pending_client(person, ip):
        client = limited_app.test_client()
        response = log_in(client, person.email, ip=ip)
        assert response.headers["Location"] == "/login/two-factor"
        return client

    def send_code(client, ip):
        return client.post("/login/two-factor", data={"code": "000000"},
                           environ_base={"REMOTE_ADDR": ip})

    first = pending_client(user, "192.0.2.1")
    for _ in range(3):
        assert send_code(first, "192.0.2.1").status_code == 422
    second = pending_client(user, "192.0.2.2")
    for _ in range(2):
        assert send_code(second, "192.0.2.2").status_code == 422
    # Five guesses for this user from two addresses: a sixth waits, from anywhere.
    assert_rate_limited(send_code(second, "192.0.2.2"))
    assert send_code(first, "192.0.2.1").status_code == 429
    # Another user waiting for their code is not affected.
    third = pending_client(other, "192.0.2.2")
    assert send_code(third, "192.0.2.2").status_code == 422


def test_reset_requests_are_limited_per_email_across_addresses(limited_app, outbox):
    make_user(email="victim@x.example")
    client = limited_app.test_client()
    for number in range(5):
        response = client.post("/password/forgot", data={"email": "victim@x.example"},
                               environ_base={"REMOTE_ADDR": f"192.0.2.{number + 1}"})
        assert response.status_code == 200
    assert len(outbox()) == 5
    response = client.post("/password/forgot", data={"email": "victim@x.example"},
                           environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert_rate_limited(response)
    assert len(outbox()) == 5  # no sixth mail to the same inbox
    other = client.post("/password/forgot", data={"email": "someone@x.example"},
                        environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert other.status_code == 200


def test_reset_requests_are_limited_per_address(limited_app):
    client = limited_app.test_client()
    for number in range(10):
        response = client.post("/password/forgot", data={"email": f"p{number}@x.example"},
                               environ_base={"REMOTE_ADDR": ATTACKER})
        assert response.status_code == 200
    assert_rate_limited(client.post("/password/forgot", data={"email": "p10@x.example"},
                                    environ_base={"REMOTE_ADDR": ATTACKER}))


def test_new_passwords_through_reset_links_are_limited_per_address(limited_app):
    client = limited_app.test_client()
    form = {"password": "a long new passphrase", "confirm": "a long new passphrase"}
    for number in range(10):
        response = client.post(f"/password/reset/guess{number}", data=form,
                               environ_base={"REMOTE_ADDR": ATTACKER})
        assert response.status_code != 429
    assert_rate_limited(client.post("/password/reset/guess10", data=form,
                                    environ_base={"REMOTE_ADDR": ATTACKER}))
    assert client.post("/password/reset/guess11", data=form,
                       environ_base={"REMOTE_ADDR": OWNER}).status_code != 429


def test_invitations_are_limited_per_user(limited_app):
    collective = make_collective()
    admin = make_user(Role.ORGANISER, collective, admin_of_collective=True)
    other_admin = make_user(Role.ORGANISER, collective, admin_of_collective=True)
    path = f"/organiser/collectives/{collective.slug}/invitations"
    client = limited_app.test_client()
    login(client, admin)
    for _ in range(30):
        assert client.post(path, data={"email": ""}).status_code == 422
    assert_rate_limited(client.post(path, data={"email": ""}))
    # The same address, another person: counted separately.
    colleague = limited_app.test_client()
    login(colleague, other_admin)
    assert colleague.post(path, data={"email": ""}).status_code == 422


def test_new_screenings_are_limited_per_user(limited_app):
    collective = make_collective()
    organiser = make_user(Role.ORGANISER, collective)
    colleague_user = make_user(Role.ORGANISER, collective)
    client = limited_app.test_client()
    login(client, organiser)
    for _ in range(30):
        assert client.post("/organiser/screenings/new", data={}).status_code == 422
    assert_rate_limited(client.post("/organiser/screenings/new", data={}))
    assert client.get("/organiser/screenings/new").status_code == 200  # GET is not counted
    colleague = limited_app.test_client()
    login(colleague, colleague_user)
    assert colleague.post("/organiser/screenings/new", data={}).status_code == 422


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(app, limited_app):
    """A client cannot dodge the per-address limit by sending its own X-Forwarded-For."""
    client = limited_app.test_client()
    for number in range(30):
        client.post("/login", data={"email": f"g{number}@x.example", "password": "nope"},
                    headers={"X-Forwarded-For": f"10.9.0.{number}"})
    response = client.post("/login", data={"email": "g@x.example", "password": "nope"},
                           headers={"X-Forwarded-For": "10.9.1.1"})
    assert response.status_code == 429

    proxied = limited(app, PROXY_COUNT=1)
    try:
        client = proxied.test_client()
        for number in range(30):
            client.post("/login", data={"email": f"g{number}@x.example", "password": "nope"},
                        headers={"X-Forwarded-For": "192.0.2.50"})
        # Behind the trusted proxy, each client address has its own allowance.
        response = client.post("/login", data={"email": "g@x.example", "password": "nope"},
                               headers={"X-Forwarded-For": "192.0.2.51"})
        assert response.status_code == 422
        response = client.post("/login", data={"email": "g@x.example", "password": "nope"},
                               headers={"X-Forwarded-For": "192.0.2.50"})
        assert response.status_code == 429
    finally:
        with proxied.app_context():
            db.engine.dispose()


def test_a_missing_endpoint_is_logged_and_skipped(limited_app, caplog):
    rules = (ratelimits.Rule("1/hour", ratelimits.by_address, "address"),)
    with caplog.at_level(logging.WARNING, logger="app.ratelimits"):
        ratelimits.install(limited_app, {"nowhere.to_be_found": rules})
    assert "nowhere.to_be_found" in caplog.text


def test_every_endpoint_in_the_table_exists(app):
    """A renamed route would silently lose its limits (install only logs a warning)."""
    missing = sorted(set(ratelimits.table()) - set(app.view_functions))
    assert missing == []


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise  # CI starts Redis (.ci/run): the storage path must be proven there
        connection.close()
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return connection


def test_limits_are_counted_in_redis(app):
    connection = _redis_or_skip()
    connection.flushdb()
    extra = limited(app, RATELIMIT_STORAGE_URI=REDIS_URL)
    try:
        make_user(email="victim@x.example")
        client = extra.test_client()
        for _ in range(5):
            assert log_in(client, "victim@x.example", "guess").status_code == 422
        assert_rate_limited(log_in(client, "victim@x.example", "guess"))
        keys = [key.decode() for key in connection.keys("*")]
        assert any("auth.login" in key for key in keys), keys
        assert all("screenings" in key for key in keys)  # RATELIMIT_KEY_PREFIX
        assert not any("victim" in key for key in keys)  # emails are hashed in the keys
        # A second app (another gunicorn worker) sees the same counts.
        worker = limited(app, RATELIMIT_STORAGE_URI=REDIS_URL)
        try:
            response = log_in(worker.test_client(), "victim@x.example", "guess")
            assert response.status_code == 429
        finally:
            with worker.app_context():
                db.engine.dispose()
    finally:
        connection.flushdb()
        connection.close()
        with extra.app_context():
            db.engine.dispose()


def test_an_unreachable_redis_falls_back_to_limits_in_memory(app):
    pytest.importorskip("redis")
    # Nothing listens on port 9 (discard) here: the connection is refused at once.
    extra = limited(app, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0",
                    PROPAGATE_TEST_ERRORS=False)
    try:
        client = extra.test_client()
        statuses = [log_in(client, "victim@x.example", "guess").status_code for _ in range(6)]
        # The owner is not locked out by a storage failure, and guessing is still limited.
        assert statuses[:5] == [422] * 5
        assert statuses[5] == 429
        assert client.get("/").status_code == 200
    finally:
        with extra.app_context():
            db.engine.dispose()
