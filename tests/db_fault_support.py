"""What the database fault tests share: a dedicated app that answers faults as production
does, a seeded world to write into, the two ways to record a contribution, and the checks
that a fault answer is clear and shows nothing of the app's insides."""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Beneficiary, Film, User
from tests.conftest import FreshContextClient, login
from tests.test_api_support import bearer, build, error_of, token_for

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
# Nothing in a fault response may show how the app is built.
LEAKS = ("Traceback", "INSERT", "SELECT", "UPDATE ", "sqlite3", "psycopg", "OperationalError",
         "sqlalchemy", 'File "')


@dataclass(frozen=True)
class Seed:
    """What the migrated database holds: an organiser of a published screening and a token."""

    screening_id: int
    organiser_email: str
    token: str


def make_app(url: str, directory: Path) -> Flask:
    """A dedicated app that answers faults as production does (no propagation to the test)."""
    application = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PROPAGATE_TEST_ERRORS=False,
                             MAIL_OUTBOX_DIR=str(directory / "outbox"))
    application.test_client_class = FreshContextClient
    return application


def seed_world() -> Seed:
    """Migrate the current app's database and commit the world the tests write into."""
    flask_migrate.upgrade()
    db.session.add_all([
        Film(title="Part One: Resistance", slug="part-one", part=1, year=2023,
             runtime_minutes=95),
        Beneficiary(name="Solidarity Collectives", slug="solidarity-collectives"),
    ])
    db.session.commit()
    world = build()
    seed = Seed(world.screening_a.id, world.organiser_a.email, token_for(world.organiser_a))
    db.session.remove()
    return seed


def html_post(client, seed: Seed, note: str = "Door bucket"):
    return client.post(f"/organiser/screenings/{seed.screening_id}/contributions/new", data={
        "amount": "120.50", "currency": "EUR", "received_on": YESTERDAY, "channel": "door",
        "state": "collected", "note": note,
    })


def api_post(client, seed: Seed, note: str = "Door bucket"):
    return client.post(f"/api/v1/screenings/{seed.screening_id}/contributions", json={
        "amount": "120.50", "currency": "EUR", "received_on": YESTERDAY, "channel": "door",
        "state": "collected", "note": note}, headers=bearer(seed.token))


def logged_in(application: Flask, seed: Seed):
    """A client of the app with the organiser's session."""
    client = application.test_client()
    with application.app_context():
        user = db.session.scalars(select(User).where(User.email == seed.organiser_email)).one()
        login(client, user)
    return client


def assert_no_leak(response) -> str:
    body = response.get_data(as_text=True)
    for leak in LEAKS:
        assert leak not in body, (leak, body[:2000])
    return body


def assert_fault_page(response, status: int, *phrases: str, retry: bool = True) -> None:
    """The site's page for a database fault: status, words, Retry-After, nothing internal."""
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    body = " ".join(assert_no_leak(response).replace("&#39;", "'").split())
    for phrase in ("nothing you sent was saved", *phrases):
        assert phrase in body, (phrase, body[:2000])
    assert ("Retry-After" in response.headers) is retry
    if retry:
        assert int(response.headers["Retry-After"]) > 0


def assert_fault_json(response, status: int, code: str, retry: bool = True) -> None:
    error = error_of(response, status, code)
    assert "nothing you sent was saved" in error["message"]
    assert_no_leak(response)
    assert ("Retry-After" in response.headers) is retry

