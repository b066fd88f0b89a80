"""Test fixtures: one migrated database per run, emptied after each test, and factories."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text, update

from app import create_app
from app.extensions import db
from app.locales import compile_catalogues
from app.models import (
    Beneficiary,
    Collective,
    Film,
    Membership,
    MembershipRole,
    Role,
    Screening,
    Status,
    User,
)
from app.services import cities, mail, passwords, screenings

PASSWORD = "correct horse battery staple"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class FreshContextClient(FlaskClient):
    """A client whose every request runs in a new application context, as in production.

    The per-test app context would otherwise be reused by each request, so flask.g (where
    Flask-Login caches the loaded user) and the database session would carry over from one
    request, or one client, to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()  # objects the test holds may have changed in the request
        return response


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues():
    """The .mo files of the translations (built, not committed): make builds them, and so
    does this for a bare pytest run."""
    compile_catalogues()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application on a database migrated from empty with the real migrations."""
    url = _database_url(tmp_path_factory)
    outbox = tmp_path_factory.mktemp("outbox")
    application = create_app("testing", SQLALCHEMY_DATABASE_URI=url, MAIL_OUTBOX_DIR=str(outbox),
                             RATE_IMPORT_DIR=str(tmp_path_factory.mktemp("rate_imports")))
    application.test_client_class = FreshContextClient
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter does


@pytest.fixture(autouse=True)
def _app_context(app):
    """Each test runs in an app context and leaves every table empty behind it."""
    with app.app_context():
        yield
        db.session.remove()
        for message in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"):
            message.unlink()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # A connection left idle in a transaction would block TRUNCATE forever: fail.
                conn.execute(text("SET LOCAL lock_timeout = '20s'"))
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (table names are ours)


@pytest.fixture
def outbox():
    """The messages the app has "sent" in this test (written to the outbox folder)."""
    return mail.outbox_messages


@pytest.fixture
def client(app):
    """A test client with cookies whose requests see only what was committed."""
    return app.test_client()


def login(client, user: User, password: str = PASSWORD):
    """Log the user in through the real login form, and its two-factor step when enrolled."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"].startswith("/login/two-factor"):
        # Each test logs in several times within one 30-second step: forget the last used
        # step, or the replay protection would (rightly) refuse the same code again.
        db.session.execute(
            update(User).where(User.id == user.id).values(totp_last_step=None)
        )
        db.session.commit()
        code = pyotp.TOTP(user.totp_secret).now()
        response = client.post("/login/two-factor", data={"code": code})
        assert response.status_code == 302, response.get_data(as_text=True)
    return response


def make_user(role: Role = Role.ORGANISER, collective: Collective | None = None,
              email: str | None = None, admin_of_collective: bool = False,
              two_factor: bool | None = None) -> User:
    """A committed user, optionally a member (or admin) of a collective.

    Coordinators and admins get a confirmed authenticator by default, as they must have one.
    """
    count = db.session.query(User).count()
    user = User(
        email=email or f"user{count + 1}@example.org", display_name=f"User {count + 1}",
        role=role, password_hash=passwords.hash_password(PASSWORD),
    )
    if two_factor or (two_factor is None and role in (Role.COORDINATOR, Role.ADMIN)):
        user.totp_secret, user.totp_confirmed_at = pyotp.random_base32(), datetime.now(UTC)
    db.session.add(user)
    if collective is not None:
        db.session.add(Membership(
            user=user, collective=collective,
            role=MembershipRole.ADMIN if admin_of_collective else MembershipRole.MEMBER,
        ))
    db.session.commit()
    return user


def make_collective(slug: str = "kino-kollektiv", trusted: bool = False) -> Collective:
    """A committed collective."""
    collective = Collective(name=slug.replace("-", " ").title(), slug=slug, is_trusted=trusted)
    db.session.add(collective)
    db.session.commit()
    return collective


@pytest.fixture
def catalogue():
    """A film and a beneficiary, committed."""
    film = Film(title="Part One: Resistance", slug="part-one", part=1, year=2023,
                runtime_minutes=95)
    beneficiary = Beneficiary(name="Solidarity Collectives", slug="solidarity-collectives")
    db.session.add_all([film, beneficiary])
    db.session.commit()
    return film, beneficiary


def screening_input(collective: Collective, **changes) -> screenings.ScreeningInput:
    """Valid input for a screening in Helsinki a month from now, with the given changes."""
    values = dict(
        film="part-one", collective=collective.slug, city="Helsinki", country="FI",
        venue_name="Lepakkomies", venue_address="Secret Street 1, Helsinki",
        visibility="city_only",
        starts_at=(datetime.now(UTC) + timedelta(days=30)).replace(
            hour=19, minute=0, second=0, microsecond=0, tzinfo=None),
        beneficiary="solidarity-collectives", purpose="Medical supplies",
        goal_amount="500.00", goal_currency="EUR",
    )
    values.update(changes)
    return screenings.ScreeningInput(**values)


def make_screening(collective: Collective, actor: User | None = None,
                   status: Status = Status.DRAFT, **changes) -> Screening:
    """A committed screening created through the service, then moved to `status`."""
    actor = actor or make_user(Role.COORDINATOR)
    screening = screenings.create(screening_input(collective, **changes), actor)
    if status != Status.DRAFT:
        screening.status = status
        if status == Status.CANCELLED:
            from app.models import CancelReason

            screening.cancel_reason = CancelReason.OTHER
    db.session.commit()
    return screening


@pytest.fixture(scope="session", autouse=True)
def _warm_gazetteer():
    """Load the offline city list once for the whole run."""
    cities._names_index()
