"""Logging in and out through /login and /logout: credentials, `next`, sessions and CSRF.

Requests run through conftest's `client`, which gives every request its own application
context as a real server does (see FreshContextClient).
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import City, Country, Fundraiser, Role, Screening, User, Venue
from tests.conftest import PASSWORD, login, make_collective, make_user
from tests.helpers import page

GENERIC_FAILURE = "The email or password is not right."


@pytest.fixture
def csrf_app(app):
    """A second app on the same database with CSRF protection switched on."""
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       WTF_CSRF_ENABLED=True)
    yield extra
    with extra.app_context():
        db.engine.dispose()


@pytest.fixture
def collective():
    """A host collective."""
    return make_collective()


@pytest.fixture
def organiser(collective):
    """An organiser who is a member of `collective`."""
    return make_user(Role.ORGANISER, collective)


@pytest.fixture
def helsinki():
    """Helsinki already known, so that the form need not search the whole gazetteer."""
    db.session.add(City(name="Helsinki", country=Country(code="FI", name="Finland"),
                        lat=60.16952, lon=24.93545, timezone="Europe/Helsinki",
                        geonames_id=658225))
    db.session.commit()


def is_logged_in(client) -> bool:
    """Whether the client's session reaches the organiser area."""
    response = client.get("/organiser/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    return False


def csrf_token_from(response) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(
        as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_login_page_answers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="email"' in page(response)
    assert 'name="password"' in page(response)


@pytest.mark.parametrize(
    ("role", "home"),
    [(Role.ORGANISER, "/organiser/"), (Role.COORDINATOR, "/coordination/"),
     (Role.ADMIN, "/coordination/")],
)
def test_login_redirects_to_the_home_of_the_role_and_the_session_works(client, collective,
                                                                        role, home):
    user = make_user(role, collective)
    response = login(client, user)  # coordinators and admins pass the two-factor step too
    assert response.status_code == 302
    assert response.headers["Location"] == home
    following = client.get(home)
    assert following.status_code == 200
    assert "Log out" in page(following)
    assert f"Welcome, {user.display_name}." in page(following)


def test_login_email_is_case_insensitive(client, collective):
    user = make_user(Role.ORGANISER, collective, email="mixed.case@example.org")
    response = client.post("/login", data={"email": "Mixed.Case@EXAMPLE.org",
                                           "password": PASSWORD})
    assert response.status_code == 302
    assert is_logged_in(client)
    assert user.email == "mixed.case@example.org"


@pytest.mark.parametrize(
    ("known_email", "password"),
    [(True, "wrong password, long"), (False, PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_failed_login_answers_422_with_one_generic_message(client, organiser, known_email,
                                                           password):
    email = organiser.email if known_email else "nobody@example.org"
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 422
    assert GENERIC_FAILURE in page(response)
    assert "unknown" not in page(response).lower()
    assert not is_logged_in(client)


def test_wrong_password_and_unknown_email_pages_are_the_same(client, organiser):
    wrong = client.post("/login", data={"email": organiser.email, "password": "not it at all"})
    unknown = client.post("/login", data={"email": "ghost@example.org", "password": "not it"})

    def without_email(response, email):
        return page(response).replace(email, "EMAIL")

    assert wrong.status_code == unknown.status_code == 422
    assert without_email(wrong, organiser.email) == without_email(unknown, "ghost@example.org")


def test_inactive_user_cannot_log_in(client, organiser):
    organiser.is_active = False
    db.session.commit()
    response = client.post("/login", data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 422
    assert GENERIC_FAILURE in page(response)
    assert not is_logged_in(client)


def test_deactivating_a_user_ends_their_open_session(client, organiser):
    login(client, organiser)
    assert is_logged_in(client)
    organiser.is_active = False
    db.session.commit()
    assert not is_logged_in(client)


def test_safe_next_path_is_followed(client, organiser):
    response = client.post("/login?next=/organiser/screenings/new",
                           data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/screenings/new"


@pytest.mark.parametrize(
    "raw_next",
    [
        "//evil.example",
        "/\\evil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "///evil.example",
        "https://evil.example/",
        "https%3A%2F%2Fevil.example%2F",
        "javascript:alert(1)",
        "/%0d%0aevil",
        "/%09/evil.example",
        "evil.example",
    ],
)
def test_unsafe_next_is_ignored_and_login_lands_on_the_default_page(client, organiser, raw_next):
    response = client.post(f"/login?next={raw_next}",
                           data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/"


def test_anonymous_request_to_organiser_area_redirects_to_login_with_next(client):
    response = client.get("/organiser/")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/organiser/"]


def test_login_after_redirect_returns_to_the_page_asked_for(client, organiser):
    asked = client.get("/organiser/screenings/new")
    assert asked.status_code == 302
    response = client.post(asked.headers["Location"],
                           data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/screenings/new"
    assert client.get("/organiser/screenings/new").status_code == 200


def test_logged_in_user_visiting_login_goes_home(client, organiser):
    login(client, organiser)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/"


def test_logout_by_get_is_not_allowed(client, organiser):
    login(client, organiser)
    response = client.get("/logout")
    assert response.status_code == 405
    assert is_logged_in(client)


def test_logout_ends_the_session(client, organiser):
    login(client, organiser)
    assert is_logged_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "You are logged out." in page(client.get("/"))
    assert not is_logged_in(client)


def test_session_cookie_copied_before_logout_no_longer_works(client, organiser):
    login(client, organiser)
    stolen = client.get_cookie("session").value
    client.post("/logout")
    replay = client.application.test_client()
    replay.set_cookie("session", stolen)
    assert not is_logged_in(replay)


def test_raising_session_version_ends_existing_sessions(client, organiser):
    login(client, organiser)
    assert is_logged_in(client)
    organiser.session_version += 1
    db.session.commit()
    response = client.get("/organiser/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_raising_session_version_also_ends_remember_me_logins(client, organiser):
    response = client.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                           "remember": "y"})
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")
    assert is_logged_in(client)  # restored from the remember cookie alone

    organiser.session_version += 1
    db.session.commit()
    client.delete_cookie("session")
    assert not is_logged_in(client)


def test_one_clients_login_does_not_leak_to_another(app, client, organiser):
    login(client, organiser)
    stranger = app.test_client()
    assert not is_logged_in(stranger)


def test_login_without_csrf_token_is_refused_when_csrf_is_on(csrf_app, organiser):
    browser = csrf_app.test_client()
    response = browser.post("/login", data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Bad request" in page(response)
    assert "Solidarity Screenings" in page(response)
    assert browser.get("/organiser/").status_code == 302


def test_login_with_csrf_token_works_when_csrf_is_on(csrf_app, organiser):
    browser = csrf_app.test_client()
    token = csrf_token_from(browser.get("/login"))
    response = browser.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                            "csrf_token": token})
    assert response.status_code == 302
    assert browser.get("/organiser/").status_code == 200


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_screening_post_without_csrf_token_writes_nothing(csrf_app, catalogue, helsinki,
                                                          collective, organiser):
    browser = csrf_app.test_client()
    token = csrf_token_from(browser.get("/login"))
    browser.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                 "csrf_token": token})
    data = {
        "film": "part-one", "collective": collective.slug, "city": "Helsinki", "country": "FI",
        "venue_name": "Lepakkomies", "venue_address": "Secret Street 1",
        "visibility": "city_only", "starts_at": "2030-06-15T19:00",
        "beneficiary": "solidarity-collectives", "purpose": "Medical supplies",
        "goal_amount": "500", "goal_currency": "EUR",
    }
    response = browser.post("/organiser/screenings/new", data=data)
    assert response.status_code == 400
    assert "Bad request" in page(response)
    assert [_count(m) for m in (Screening, Venue, Fundraiser)] == [0, 0, 0]

    # The same form with the token goes through, so the token was the only thing missing.
    form_token = csrf_token_from(browser.get("/organiser/screenings/new"))
    response = browser.post("/organiser/screenings/new", data={**data, "csrf_token": form_token})
    assert response.status_code == 302
    assert [_count(m) for m in (Screening, Venue, Fundraiser)] == [1, 1, 1]


def test_logout_without_csrf_token_is_refused_when_csrf_is_on(csrf_app, organiser):
    browser = csrf_app.test_client()
    token = csrf_token_from(browser.get("/login"))
    browser.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                 "csrf_token": token})
    assert browser.post("/logout").status_code == 400
    assert browser.get("/organiser/").status_code == 200


def test_failed_logins_do_not_create_users(client, organiser):
    before = _count(User)
    client.post("/login", data={"email": "new@example.org", "password": "whatever it is"})
    assert _count(User) == before
