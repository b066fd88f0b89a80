"""Scratch PostgreSQL databases for tests that need a database of their own (migrations, faults).

The name is the suite's database name (from TEST_DATABASE_URL) plus a suffix, on the same
server; without TEST_DATABASE_URL the local default server is tried. Where no PostgreSQL
answers, the test is skipped, unless REQUIRE_POSTGRES=1 (CI), where it fails.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import URL, make_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def suite_url() -> URL | None:
    """TEST_DATABASE_URL when it names PostgreSQL."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    return make_url(url) if url.startswith("postgresql") else None


def _admin(url: URL) -> str:
    """A libpq connection string for the server (the URL's own database)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _answers(url: URL) -> bool:
    import psycopg

    try:
        with psycopg.connect(_admin(url), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def server_or_skip(*, only_in_pg_suite: bool = False) -> URL:
    """The URL of a PostgreSQL server that answers; skip (or fail under REQUIRE_POSTGRES=1)."""
    if only_in_pg_suite and suite_url() is None:
        # Not a failure even on CI: `make test-pg` runs it against the suite's own server.
        pytest.skip("runs in the PostgreSQL suite (TEST_DATABASE_URL names SQLite)")
    candidates = [suite_url()] if only_in_pg_suite else [suite_url(), make_url(DEFAULT_SERVER)]
    try:
        import psycopg  # noqa: F401
    except ImportError:
        candidates = []
    for url in candidates:
        if url is not None and _answers(url):
            return url
    reason = ("no PostgreSQL answers at TEST_DATABASE_URL" if only_in_pg_suite
              else "no PostgreSQL answers at TEST_DATABASE_URL or " + DEFAULT_SERVER)
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


@contextmanager
def scratch_database(server: URL, suffix: str) -> Iterator[URL]:
    """An empty database <suite database>_<suffix> on the server, dropped afterwards."""
    import psycopg

    name = f"{server.database or 'postgres'}_{suffix}"
    admin = _admin(server)
    with psycopg.connect(admin, autocommit=True) as connection:
        # A run that was killed may have left it behind.
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(drivername="postgresql+psycopg", database=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
