"""Database faults answer a clear page or API error, never a stack trace, never a half-write.

SQLite, each on a copy of a small migrated database: a read-only file, a full disk
(max_page_count), a write lock held past the busy timeout. Then the mapping of driver error
codes that no test can provoke on demand. PostgreSQL going away: test_db_faults_postgres.py.
"""

import logging
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from app import db_faults
from app.extensions import db
from tests.db_fault_support import (
    Seed,
    api_post,
    assert_fault_json,
    assert_fault_page,
    assert_no_leak,
    html_post,
    logged_in,
    make_app,
    seed_world,
)

# --- SQLite -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> tuple[Path, Seed]:
    """A migrated SQLite file with the seed, on 512-byte pages (so a long note overflows one)."""
    directory = tmp_path_factory.mktemp("faults")
    path = directory / "template.db"
    raw = sqlite3.connect(path)
    raw.executescript("PRAGMA page_size=512; CREATE TABLE x (a); DROP TABLE x;")
    raw.close()
    application = make_app(f"sqlite:///{path}", directory)
    with application.app_context():
        seed = seed_world()
        db.engine.dispose()  # checkpoints the WAL into the file, so that a copy is complete
    return path, seed


@pytest.fixture
def sqlite_copy(sqlite_template, tmp_path) -> tuple[Path, Seed]:
    template, seed = sqlite_template
    path = tmp_path / "faults.db"
    shutil.copyfile(template, path)
    return path, seed


@contextmanager
def app_on_file(url: str, directory: Path) -> Iterator[Flask]:
    application = make_app(url, directory)
    try:
        with application.app_context():
            yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def on_checkout(application: Flask, statement: Callable[[], str | None]) -> None:
    """Run the PRAGMA statement() returns on every connection the app checks out."""
    with application.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkout")
    def _apply(dbapi_connection, _record, _proxy):
        sql = statement()
        if sql:
            cursor = dbapi_connection.cursor()
            cursor.execute(sql)
            cursor.close()


def written(path: Path) -> tuple[int, int, int]:
    """Contributions, ledger day rows and audit events in the file, read directly."""
    connection = sqlite3.connect(path)
    try:
        return tuple(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                     for table in ("contributions", "ledger_days", "audit_events"))
    finally:
        connection.close()


def test_a_read_only_sqlite_file_says_so_and_still_serves_reads(sqlite_copy, caplog):
    path, seed = sqlite_copy
    with app_on_file(f"sqlite:///{path}", path.parent) as writable:
        cookie = logged_in(writable, seed).get_cookie("session").value
    before = written(path)
    with app_on_file(f"sqlite:///file:{path}?mode=ro&uri=true", path.parent) as read_only:
        client = read_only.test_client()
        assert client.get(f"/screenings/{seed.screening_id}").status_code == 200
        client.set_cookie("session", cookie)
        with caplog.at_level(logging.ERROR):
            assert_fault_page(html_post(client, seed), 503, "read-only")
        assert_fault_json(api_post(read_only.test_client(), seed), 503, "read_only")
    assert written(path) == before
    # Logged once per request, as one line without a traceback.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["app.db_faults"] * 2
    assert all(r.exc_info is None and "read_only" in r.getMessage() for r in errors)


def test_a_full_disk_answers_507_and_nothing_is_saved(sqlite_copy):
    path, seed = sqlite_copy
    full = {"on": False}
    with app_on_file(f"sqlite:///{path}", path.parent) as application:
        # Full: the file may not grow by one page; otherwise SQLite's own maximum.
        on_checkout(application, lambda: "PRAGMA max_page_count = "
                    + ("1" if full["on"] else "1073741823"))
        client = logged_in(application, seed)
        before = written(path)
        full["on"] = True
        long_note = "Collected at the door and the bar. " * 40  # spills over a 512-byte page
        assert_fault_page(html_post(client, seed, long_note), 507, "disk is full", retry=False)
        assert_fault_json(api_post(client, seed, long_note), 507, "disk_full", retry=False)
        assert written(path) == before

        full["on"] = False  # space freed: the same request goes through
        assert html_post(client, seed, long_note).status_code == 302
        assert api_post(client, seed, long_note).status_code == 201
    contributions, ledger_days, audits = written(path)
    assert (contributions, ledger_days) == (before[0] + 2, 1) and audits > before[2]


def test_a_lock_held_past_the_busy_timeout_answers_busy_try_again(sqlite_copy):
    path, seed = sqlite_copy
    with app_on_file(f"sqlite:///{path}", path.parent) as application:
        on_checkout(application, lambda: "PRAGMA busy_timeout = 50")
        client = logged_in(application, seed)
        before = written(path)
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another writer that does not let go
            assert_fault_page(html_post(client, seed), 503, "busy", "try again")
            assert_fault_json(api_post(client, seed), 503, "busy")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert written(path) == before
        assert api_post(client, seed).status_code == 201  # the lock is gone: it goes through
    assert written(path)[0] == before[0] + 1


def test_other_errors_still_answer_the_plain_500_page(sqlite_copy):
    """A programming error (no such table) is not dressed up as a database fault."""
    path, seed = sqlite_copy
    with app_on_file(f"sqlite:///{path}", path.parent) as application:
        client = logged_in(application, seed)
        with sqlite3.connect(path) as raw:
            raw.execute("DROP TABLE ledger_days")
        response = html_post(client, seed)
        assert response.status_code == 500
        assert "Retry-After" not in response.headers
        assert_no_leak(response)
        assert written_contributions(path) == 0


def written_contributions(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM contributions").fetchone()[0]


# --- the mapping, for codes a test cannot provoke on demand --------------------------------------


def _pg_error(name: str) -> Exception:
    errors = pytest.importorskip("psycopg.errors")
    return getattr(errors, name)("the server said so")


@pytest.mark.parametrize("error, kind, status", [
    ("DiskFull", "disk_full", 507),  # 53100
    ("ReadOnlySqlTransaction", "read_only", 503),  # 25006: a standby, or read-only by setting
    ("AdminShutdown", "unavailable", 503),  # 57P01: the server is shutting down
    ("CannotConnectNow", "unavailable", 503),  # 57P03: starting up or recovering
    ("ConnectionFailure", "unavailable", 503),  # 08006
    ("TooManyConnections", "busy", 503),  # 53300
    ("SerializationFailure", "busy", 503),  # 40001
    ("QueryCanceled", "busy", 503),  # 57014: statement_timeout
])
def test_postgresql_error_codes_map_to_faults(error, kind, status):
    fault = db_faults.classify(sa_exc.OperationalError("SELECT 1", {}, _pg_error(error)))
    assert (fault.kind, fault.status) == (kind, status)


@pytest.mark.parametrize("code, kind", [
    (sqlite3.SQLITE_BUSY, "busy"), (517, "busy"),  # 517: SQLITE_BUSY_SNAPSHOT, extended
    (sqlite3.SQLITE_READONLY, "read_only"), (sqlite3.SQLITE_FULL, "disk_full"),
    (sqlite3.SQLITE_IOERR, "unavailable"), (sqlite3.SQLITE_CANTOPEN, "unavailable"),
])
def test_sqlite_result_codes_map_to_faults(code, kind):
    error = sqlite3.OperationalError("from the driver")
    error.sqlite_errorcode = code
    assert db_faults.classify(error).kind == kind  # unwrapped, as from an event listener
    assert db_faults.classify(sa_exc.OperationalError("BEGIN", {}, error)).kind == kind


@pytest.mark.parametrize("error", [
    sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
    sa_exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")),
    ValueError("not a database error"),
])
def test_programming_errors_are_not_faults(error):
    if isinstance(error, sa_exc.DBAPIError):
        error.orig.sqlite_errorcode = (sqlite3.SQLITE_CONSTRAINT
                                       if isinstance(error, sa_exc.IntegrityError)
                                       else sqlite3.SQLITE_ERROR)
    assert db_faults.classify(error) is None

