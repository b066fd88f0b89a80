"""Sessions: idle and absolute time-outs, the remember-me cookie, and cookie flags."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from app import create_app
from app.extensions import db
from app.models import Role, Screening
from app.security import EXPIRED_MESSAGE, LOGIN_AT, SEEN_AT
from tests.conftest import PASSWORD, login, make_collective, make_user

REMEMBER = "remember_token"


@pytest.fixture
def organiser():
    """An organiser of a collective, committed."""
    return make_user(Role.ORGANISER, make_collective())


def move_back(client, **seconds_by_key) -> None:
    """Pretend the given session timestamps happened that many seconds earlier."""
    with client.session_transaction() as session:
        for key, seconds in seconds_by_key.items():
            session[key] -= seconds


def stamps(client) -> tuple[int | None, int | None]:
    with client.session_transaction() as session:
        return session.get(LOGIN_AT), session.get(SEEN_AT)


def set_cookie_header(response, name: str) -> str:
    """The Set-Cookie header for one cookie."""
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    return found[-1]


def log_in_remembered(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "remember": "y"})
    assert response.status_code == 302
    return response


def test_login_stamps_the_session_window(app, client, organiser):
    before = int(time.time())
    login(client, organiser)
    login_at, seen_at = stamps(client)
    assert before <= login_at <= int(time.time())
    assert seen_at == login_at


def test_an_idle_session_ends_and_get_goes_to_login_with_next(app, client, organiser):
    login(client, organiser)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    move_back(client, _seen_at=idle + 60, _login_at=idle + 60)
    response = client.get("/organiser/?page=2")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/organiser/?page=2"]
    login_page = client.get(response.headers["Location"])
    assert EXPIRED_MESSAGE in login_page.get_data(as_text=True)
    # Logged out for good: the next request is anonymous too.
    assert client.get("/organiser/").headers["Location"].startswith("/login")
    assert stamps(client) == (None, None)


def test_activity_keeps_the_session_alive_and_moves_the_idle_window(app, client, organiser):
    login(client, organiser)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    move_back(client, _seen_at=idle - 60, _login_at=idle - 60)
    login_at, _ = stamps(client)
    assert client.get("/organiser/").status_code == 200
    new_login_at, seen_at = stamps(client)
    assert new_login_at == login_at  # the absolute window does not move
    assert seen_at >= int(time.time()) - 5
    # Another long pause, measured from the last request, is still within the idle limit.
    move_back(client, _seen_at=idle - 60)
    assert client.get("/organiser/").status_code == 200


def test_the_absolute_time_out_ends_even_an_active_session(app, client, organiser):
    login(client, organiser)
    absolute = app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    move_back(client, _login_at=absolute + 60)  # active a moment ago, but logged in long ago
    response = client.get("/organiser/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert client.get("/organiser/").status_code == 302


def test_the_time_out_comes_before_other_checks_on_the_user(app, client):
    # A coordinator without 2FA is otherwise sent to enrolment on every page.
    coordinator = make_user(Role.COORDINATOR)
    login(client, coordinator)
    move_back(client, _seen_at=app.config["SESSION_IDLE_MINUTES"] * 60 + 60)
    response = client.get("/coordination/")
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_a_form_sent_after_the_time_out_saves_nothing(app, client, organiser):
    login(client, organiser)
    move_back(client, _seen_at=app.config["SESSION_IDLE_MINUTES"] * 60 + 60)
    response = client.post("/organiser/screenings/new", data={"title": "Too late"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"  # no next: a POST is not replayed
    assert db.session.query(Screening).count() == 0


def test_a_json_request_after_the_time_out_gets_401(app, client, organiser):
    login(client, organiser)
    move_back(client, _seen_at=app.config["SESSION_IDLE_MINUTES"] * 60 + 60)
    response = client.post("/organiser/screenings/new", json={"title": "Too late"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "session_expired"


def test_the_login_page_itself_shows_the_message_after_a_time_out(app, client, organiser):
    login(client, organiser)
    move_back(client, _seen_at=app.config["SESSION_IDLE_MINUTES"] * 60 + 60)
    response = client.get("/login")
    assert response.status_code == 200
    assert EXPIRED_MESSAGE in response.get_data(as_text=True)


def test_time_outs_follow_the_settings(app, organiser):
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       SESSION_IDLE_MINUTES=5, SESSION_ABSOLUTE_HOURS=1)
    extra.test_client_class = type(app.test_client())
    try:
        client = extra.test_client()
        login(client, organiser)
        move_back(client, _seen_at=4 * 60)
        assert client.get("/organiser/").status_code == 200
        move_back(client, _seen_at=6 * 60)
        assert client.get("/organiser/").status_code == 302
    finally:
        with extra.app_context():
            db.engine.dispose()


def test_anonymous_sessions_have_no_window(client):
    assert client.get("/").status_code == 200
    assert stamps(client) == (None, None)


# Remember-me cookie


def test_the_remember_cookie_is_http_only_lax_and_lasts_the_configured_days(app, client,
                                                                            organiser):
    response = log_in_remembered(client, organiser)
    header = set_cookie_header(response, REMEMBER)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header  # only in production
    cookie = client.get_cookie(REMEMBER)
    days = (cookie.expires.timestamp() - time.time()) / 86400
    assert app.config["REMEMBER_COOKIE_DAYS"] - 1 < days <= app.config["REMEMBER_COOKIE_DAYS"]
    session_header = set_cookie_header(response, app.config["SESSION_COOKIE_NAME"])
    assert "HttpOnly" in session_header
    assert "SameSite=Lax" in session_header


def test_the_remember_cookie_restores_a_login_in_a_new_window(app, client, organiser):
    log_in_remembered(client, organiser)
    browser_restarted = app.test_client()
    browser_restarted.set_cookie(REMEMBER, client.get_cookie(REMEMBER).value)
    assert browser_restarted.get("/organiser/").status_code == 200
    login_at, seen_at = stamps(browser_restarted)
    assert login_at >= int(time.time()) - 5
    assert seen_at == login_at


def test_a_restore_from_the_remember_cookie_replaces_old_stamps(app, client, organiser):
    log_in_remembered(client, organiser)
    old = app.config["SESSION_ABSOLUTE_HOURS"] * 3600 + 60
    move_back(client, _seen_at=old, _login_at=old)
    with client.session_transaction() as session:
        del session["_user_id"]  # the login is gone from the session; the cookie remains
    assert client.get("/organiser/").status_code == 200
    login_at, _ = stamps(client)
    assert login_at >= int(time.time()) - 5


def test_a_time_out_also_ends_the_remembered_login(app, client, organiser):
    log_in_remembered(client, organiser)
    move_back(client, _seen_at=app.config["SESSION_IDLE_MINUTES"] * 60 + 60)
    response = client.get("/organiser/")
    assert response.status_code == 302
    assert client.get_cookie(REMEMBER) is None  # deleted, so it cannot log straight back in
    assert client.get("/organiser/").status_code == 302


def test_the_remember_cookie_stops_working_after_logout(app, client, organiser):
    log_in_remembered(client, organiser)
    copied = client.get_cookie(REMEMBER).value
    assert client.post("/logout").status_code == 302
    elsewhere = app.test_client()
    elsewhere.set_cookie(REMEMBER, copied)
    response = elsewhere.get("/organiser/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_the_remember_cookie_stops_working_when_the_session_version_is_raised(app, client,
                                                                             organiser):
    # A password change or reset raises the version, as logout does.
    log_in_remembered(client, organiser)
    copied = client.get_cookie(REMEMBER).value
    organiser.session_version += 1
    db.session.commit()
    elsewhere = app.test_client()
    elsewhere.set_cookie(REMEMBER, copied)
    assert elsewhere.get("/organiser/").status_code == 302
    assert client.get("/organiser/").status_code == 302  # the session itself ended too


def test_production_cookies_are_secure(app, organiser):
    production = create_app(
        "production", SECRET_KEY="p" * 40, SQLALCHEMY_DATABASE_URI=app.config[
            "SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    production.test_client_class = type(app.test_client())
    try:
        client = production.test_client()
        response = client.post("/login", base_url="https://localhost", data={
            "email": organiser.email, "password": PASSWORD, "remember": "y"})
        assert response.status_code == 302
        for name in (production.config["SESSION_COOKIE_NAME"], REMEMBER):
            header = set_cookie_header(response, name)
            assert "Secure" in header
            assert "HttpOnly" in header
            assert "SameSite=Lax" in header
    finally:
        with production.app_context():
            db.engine.dispose()


def test_the_remember_cookie_lasts_remember_cookie_days(app, organiser):
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       REMEMBER_COOKIE_DAYS=3)
    extra.test_client_class = type(app.test_client())
    try:
        client = extra.test_client()
        log_in_remembered(client, organiser)
        days = (client.get_cookie(REMEMBER).expires.timestamp() - time.time()) / 86400
        assert 2 < days <= 3
    finally:
        with extra.app_context():
            db.engine.dispose()
