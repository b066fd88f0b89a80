"""Error pages: every error answers in the site's layout, with its status, and never a trace."""


import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import City, Collective, Country, Role, Status
from tests.conftest import PASSWORD, login, make_collective, make_screening, make_user
from tests.helpers import page


def _extra_app(app, **overrides):
    """Another app on the session app's database, with some settings changed."""
    return create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      **overrides)


@pytest.fixture
def csrf_app(app):
    """An app with CSRF protection switched on."""
    extra = _extra_app(app, WTF_CSRF_ENABLED=True)
    yield extra
    with extra.app_context():
        db.engine.dispose()


@pytest.fixture
def failing_app(app):
    """An app that renders unexpected errors as a real server would, with two broken routes."""
    extra = _extra_app(app, PROPAGATE_TEST_ERRORS=False)

    @extra.get("/boom")
    def boom():
        raise RuntimeError("secret-stack-detail")

    @extra.post("/half-write")
    def half_write():
        db.session.add(Collective(name="Half Written", slug="half-written"))
        db.session.flush()
        raise RuntimeError("secret-stack-detail")

    yield extra
    with extra.app_context():
        db.engine.dispose()


def assert_error_page(response, status: int, title: str) -> None:
    """The response is the site's error page for the status."""
    assert response.status_code == status
    assert response.mimetype == "text/html"
    body = page(response)
    assert "Solidarity Screenings" in body
    assert f"Error {status}" in body
    assert title in body
    assert 'class="site-header"' in body
    assert "Traceback" not in body


def test_unknown_url_answers_404_in_the_layout(client):
    assert_error_page(client.get("/no-such-page"), 404, "Not found")


def test_unknown_url_in_the_organiser_area_is_404_for_anonymous_visitors(client):
    assert_error_page(client.get("/organiser/no-such-page"), 404, "Not found")


def test_404_for_a_private_screening_reveals_nothing(client, catalogue):
    db.session.add(City(name="Helsinki", country=Country(code="FI", name="Finland"),
                        lat=60.16952, lon=24.93545, timezone="Europe/Helsinki",
                        geonames_id=658225))
    db.session.commit()
    screening = make_screening(make_collective(), status=Status.DRAFT, title="Secret draft")
    response = client.get(f"/screenings/{screening.id}")
    assert_error_page(response, 404, "Not found")
    assert "Secret draft" not in page(response)


def test_wrong_method_answers_405_in_the_layout(client):
    assert_error_page(client.get("/logout"), 405, "Method not allowed")


def test_405_names_the_allowed_methods(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers.get("Allow", "")


def test_missing_csrf_token_answers_400_in_the_layout(csrf_app, catalogue):
    user = make_user(Role.ORGANISER)
    response = csrf_app.test_client().post("/login", data={"email": user.email,
                                                          "password": PASSWORD})
    assert_error_page(response, 400, "Bad request")


def test_forbidden_answers_403_in_the_layout(client):
    login(client, make_user(Role.ORGANISER))
    assert_error_page(client.get("/coordination/"), 403, "Not allowed")


def test_a_request_larger_than_allowed_answers_413(client, app):
    too_long = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/login", data={"email": "a@example.org", "password": too_long})
    assert_error_page(response, 413, "Too large")


def test_unexpected_error_answers_500_without_details(failing_app, caplog):
    response = failing_app.test_client().get("/boom")
    assert_error_page(response, 500, "Something went wrong")
    assert "secret-stack-detail" not in page(response)
    assert "RuntimeError" not in page(response)
    # The detail goes to the log instead.
    assert any(record.exc_info and "secret-stack-detail" in str(record.exc_info[1])
               for record in caplog.records)


def test_unexpected_error_leaves_nothing_half_written(failing_app):
    response = failing_app.test_client().post("/half-write")
    assert_error_page(response, 500, "Something went wrong")
    assert db.session.scalar(select(func.count()).select_from(Collective)) == 0
