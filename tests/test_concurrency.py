"""A real gunicorn (4 workers, gunicorn.conf.py, production settings) under 50 concurrent
contribution submissions: every one answered, stored once, counted exactly, audited; and 50
concurrent retries of one Idempotency-Key record one contribution.

The server runs on its own database (a temporary SQLite file, or a scratch PostgreSQL database
created and dropped here when TEST_DATABASE_URL points to PostgreSQL), never the suite's.
"""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import flask_migrate
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models import AuditEvent, Beneficiary, Contribution, Film, LedgerDay
from app.services import ledger
from tests.conftest import PASSWORD
from tests.test_api_support import TODAY, World, build, token_for

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SUBMISSIONS = 50
HTML_SUBMISSIONS = 10  # of the 50, through the organiser's form with a session and CSRF token


# --- a database of its own ---------------------------------------------------------------------


@contextmanager
def scratch_database(directory: Path):
    """A URL for an empty database: a SQLite file, or a PostgreSQL database dropped after."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{directory / 'live.db'}"
        return
    import psycopg

    name = f"live_{secrets.token_hex(6)}"
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def app_on(url: str, outbox: Path):
    """This process's view of the server's database, migrated from empty, in an app context."""
    application = create_app("testing", SQLALCHEMY_DATABASE_URI=url, MAIL_OUTBOX_DIR=str(outbox))
    try:
        with application.app_context():
            flask_migrate.upgrade()
            yield application
            db.session.remove()
    finally:
        with application.app_context():
            db.engine.dispose()


# --- a real server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A gunicorn process started with the repository's gunicorn.conf.py."""

    port: int
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


def server_env(url: str, directory: Path, **extra: str) -> dict[str, str]:
    """Production settings with a random secret, rate limits off, no access log."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FLASK_", "GUNICORN_", "WEB_CONCURRENCY"))}
    env.update(
        APP_ENV="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=url,
        FLASK_RATELIMIT_ENABLED="false", GUNICORN_WORKERS="4", GUNICORN_ACCESSLOG="",
        MAIL_OUTBOX_DIR=str(directory / "outbox"), TILE_URL="", PROXY_COUNT="0",
    )
    env.update(extra)
    return env


@contextmanager
def gunicorn(env: dict[str, str], log: Path):
    """Start gunicorn on a free port, wait until it answers, stop it after."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"{HOST}:{port}"}
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,  # noqa: S603
                                   stderr=out, start_new_session=True)
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn stopped at start:\n{server.output()}")
            try:
                if call(server, "GET", "/robots.txt").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        # Every answer is in and every write committed: end the master and its workers at once
        # (a graceful stop spends seconds tearing down each worker's interpreter).
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self):
        return json.loads(self.body)


def call(server: Server, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> Answer:
    """One request on a connection of its own."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    finally:
        connection.close()


def post_json(server: Server, path: str, body: dict, headers: dict[str, str]) -> Answer:
    return call(server, "POST", path, json.dumps(body).encode(),
                {"Content-Type": "application/json", **headers})


@dataclass
class Browser:
    """A cookie jar for one browser session (production cookies are Secure; plain HTTP here)."""

    server: Server
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        headers = {**self.headers, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = call(self.server, method, path, body, headers)
        for name, value in self._set_cookies(answer):
            self.cookies[name] = value
        return answer

    def _set_cookies(self, answer: Answer):
        # http.client folds repeated headers into one; the session cookie is the one we need.
        raw = answer.headers.get("set-cookie", "")
        for match in re.finditer(r"(?:^|,\s*)([A-Za-z_][\w-]*)=([^;,]*)", raw):
            if match.group(1).lower() not in ("expires", "path", "max-age", "domain",
                                              "samesite"):
                yield match.group(1), match.group(2)

    def csrf(self, path: str) -> str:
        page = self.request("GET", path)
        assert page.status == 200, (path, page.status, page.body[:500])
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.body).group(1)

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        token = self.csrf("/login")
        answer = self.request("POST", "/login", {"email": email, "password": password,
                                                 "csrf_token": token})
        assert answer.status == 302, answer.body[:500]


# --- the world on the server's database --------------------------------------------------------


def populate() -> World:
    """The API tests' world (collectives A and B, people, published screenings), committed."""
    db.session.add_all([
        Film(title="Part One: Resistance", slug="part-one", part=1, year=2023,
             runtime_minutes=95),
        Beneficiary(name="Solidarity Collectives", slug="solidarity-collectives"),
    ])
    db.session.commit()
    return build()


@dataclass
class Live:
    """The running server, an app on its database, and the ids the tests use."""

    server: Server
    application: object
    screening_id: int
    fundraiser_id: int
    email: str
    token: str

    @contextmanager
    def database(self):
        """A session on the server's database (the suite's own app context sits on top)."""
        with self.application.app_context():
            yield db.session
            db.session.remove()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """gunicorn with 4 workers on a database of its own, and the world in it."""
    directory = tmp_path_factory.mktemp("live")
    with scratch_database(directory) as url, app_on(url, directory / "outbox") as application:
        world = populate()
        ids = dict(screening_id=world.screening_a.id,
                   fundraiser_id=world.screening_a.fundraiser.id,
                   email=world.organiser_a.email, token=token_for(world.organiser_a))
        db.session.remove()
        with gunicorn(server_env(url, directory), directory / "gunicorn.log") as server:
            yield Live(server, application, **ids)


def _amount(number: int) -> str:
    """Distinct amounts, so that a lost or doubled submission shows in the sums."""
    return f"{number + 1}.{number * 7 % 100:02d}"


def _minor(number: int) -> int:
    return (number + 1) * 100 + number * 7 % 100


def _day(number: int):
    # Three days: many submissions add to the same ledger_days rows at the same moment.
    return TODAY - timedelta(days=1 + number % 3)


def test_fifty_concurrent_submissions_are_each_stored_once_and_counted_exactly(live):
    server, token, screening_id = live.server, live.token, live.screening_id
    api_path = f"/api/v1/screenings/{screening_id}/contributions"
    form_path = f"/organiser/screenings/{screening_id}/contributions/new"
    browser = Browser(server)
    browser.log_in(live.email)
    csrf = browser.csrf(form_path)

    def submit(number: int) -> Answer:
        note = f"concurrent-{number}"
        if number < HTML_SUBMISSIONS:
            return browser.request("POST", form_path, {
                "csrf_token": csrf, "amount": _amount(number), "currency": "EUR",
                "received_on": _day(number).isoformat(), "channel": "door",
                "state": "collected", "note": note,
            })
        return post_json(server, api_path, {
            "amount": _amount(number), "currency": "EUR", "received_on": _day(number).isoformat(),
            "channel": "door", "state": "collected", "note": note,
        }, {"Authorization": f"Bearer {token}"})

    with ThreadPoolExecutor(max_workers=SUBMISSIONS) as pool:
        answers = list(pool.map(submit, range(SUBMISSIONS)))

    for number, answer in enumerate(answers):
        assert "locked" not in answer.body.lower(), (number, answer.body[:500])
        expected = 302 if number < HTML_SUBMISSIONS else 201
        assert answer.status == expected, (number, answer.status, answer.body[:500],
                                           server.output())

    with live.database() as session:
        stored = session.execute(
            select(Contribution.note, Contribution.amount_minor, Contribution.received_on)
            .where(Contribution.note.like("concurrent-%"))
        ).all()
        days = session.execute(
            select(func.sum(LedgerDay.amount_minor), func.sum(LedgerDay.count),
                   func.sum(LedgerDay.base_amount_minor))
            .where(LedgerDay.fundraiser_id == live.fundraiser_id)
        ).one()
        mismatches = ledger.mismatches()
        audited = session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.action == "contribution.create")
        ).all()
        ids = session.scalars(select(Contribution.id)).all()
    assert Counter(row.note for row in stored) == Counter(
        f"concurrent-{n}" for n in range(SUBMISSIONS))
    assert {row.note: (row.amount_minor, row.received_on) for row in stored} == {
        f"concurrent-{n}": (_minor(n), _day(n)) for n in range(SUBMISSIONS)}
    sent = sum(_minor(n) for n in range(SUBMISSIONS))
    assert tuple(int(value) for value in days) == (sent, SUBMISSIONS, sent)
    assert mismatches == []
    assert sorted(audited) == sorted(ids)


def test_fifty_concurrent_retries_of_one_key_record_one_contribution(live):
    path = f"/api/v1/screenings/{live.screening_id}/contributions"
    body = {"amount": "77.70", "currency": "EUR", "received_on": _day(0).isoformat(),
            "channel": "online", "state": "collected", "note": "retried"}
    headers = {"Authorization": f"Bearer {live.token}", "Idempotency-Key": secrets.token_hex(16)}

    def send(_number: int) -> Answer:
        return post_json(live.server, path, body, headers)

    with ThreadPoolExecutor(max_workers=SUBMISSIONS) as pool:
        answers = list(pool.map(send, range(SUBMISSIONS)))

    statuses = Counter(answer.status for answer in answers)
    assert set(statuses) <= {201, 409}, (statuses, [a.body[:300] for a in answers])
    created = [answer.json() for answer in answers if answer.status == 201]
    assert created and all(item == created[0] for item in created)
    assert all(answer.json()["error"]["code"] == "idempotency_key_in_flight"
               for answer in answers if answer.status == 409)
    # Once the first has finished, every retry gets its answer.
    final = send(0)
    assert final.status == 201 and final.json() == created[0]
    assert final.headers["idempotent-replayed"] == "true"
    with live.database() as session:
        stored = session.scalars(
            select(Contribution.id).where(Contribution.note == "retried")).all()
        audited = session.scalars(select(AuditEvent.object_id).where(
            AuditEvent.action == "contribution.create", AuditEvent.object_id.in_(stored))).all()
    assert stored == [created[0]["id"]]
    assert audited == stored


# --- SQLite's write lock ------------------------------------------------------------------------

sqlite_only = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                 reason="SQLite's locking (PostgreSQL has row locks)")


@sqlite_only
def test_a_transaction_that_read_first_cannot_wait_for_the_write_lock(tmp_path):
    """Why writing requests begin with BEGIN IMMEDIATE: SQLite refuses a deferred transaction's
    first write at once, busy timeout or not, when another writer committed since it read."""
    path = tmp_path / "plain.db"
    reader = sqlite3.connect(path, isolation_level=None, timeout=5)
    writer = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        reader.execute("PRAGMA journal_mode=WAL")
        reader.execute("CREATE TABLE t (x INTEGER)")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchall()
        writer.execute("INSERT INTO t VALUES (1)")  # commits at once (autocommit)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            reader.execute("INSERT INTO t VALUES (2)")
        reader.execute("ROLLBACK")
    finally:
        reader.close()
        writer.close()


def _lock_is_free(database: str) -> bool:
    """Whether another connection could take the write lock right now (without waiting)."""
    other = sqlite3.connect(database, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


@sqlite_only
@pytest.mark.parametrize("method, path, holds_lock", [
    ("POST", "/api/v1/rates", True), ("PATCH", "/api/v1/screenings/1", True),
    ("GET", "/api/v1/rates", False), ("POST", "/login", False),
])
def test_a_writing_request_holds_the_write_lock_from_its_first_read(app, method, path,
                                                                     holds_lock):
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    with app.test_request_context(path, method=method):
        db.session.execute(select(func.count()).select_from(Contribution)).scalar()
        try:
            assert _lock_is_free(database) is not holds_lock
        finally:
            db.session.rollback()
            db.session.remove()
    assert _lock_is_free(database)
