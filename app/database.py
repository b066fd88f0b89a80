"""SQLite connection settings and transaction modes: concurrent readers, serial writers that
wait for each other instead of failing with "database is locked".

Python's sqlite3 driver begins a transaction only at the first INSERT/UPDATE/DELETE; reads
before it run outside any transaction. That is right for requests that only read (they never
hold a lock and never block a writer, as PostgreSQL's READ COMMITTED), but wrong for requests
that write: what they read before their first write may be changed by another writer before
they write (a contribution converted at a rate replaced in between), and any transaction that
reads inside a transaction first and writes second (a SAVEPOINT, an open cursor) cannot wait
for the write lock: SQLite answers SQLITE_BUSY at once, whatever the busy timeout.

So every transaction of a request that may write (POST, PUT, PATCH, DELETE) starts with
BEGIN IMMEDIATE: it takes the write lock first (waiting up to the busy timeout for the writer
before it), then reads and writes a consistent state, and commits. Writers run one at a time,
which is what SQLite does anyway; the wait is short because a request is short and gunicorn's
workers bound how many wait at once. Requests that only read, the login (below), and commands
and scripts outside any request keep the driver's default.
"""

import sqlite3

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

WRITE_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))
# Writing requests that begin their transaction at their first write instead: the login spends
# a password hash (a tenth of a second or more of CPU) between reading the account and writing
# its audit row, and what it writes does not depend on anything another request could change
# meanwhile. Holding the write lock through the hash would queue every other writer behind it.
LATE_BEGIN_ENDPOINTS = frozenset(("auth.login",))
# Milliseconds a connection waits for another's lock before SQLITE_BUSY.
BUSY_TIMEOUT_MS = 5000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, WAL for concurrent readers, wait rather than fail on locks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def writes() -> bool:
    """Whether the current request may write (its transactions take the write lock first)."""
    return (has_request_context() and request.method in WRITE_METHODS
            and request.endpoint not in LATE_BEGIN_ENDPOINTS)


@event.listens_for(Engine, "begin")
def _begin_immediate(connection: Connection) -> None:
    """A writing request's SQLite transaction takes the write lock before its first read."""
    if connection.dialect.name != "sqlite" or not writes():
        return
    dbapi_connection = connection.connection.dbapi_connection
    if isinstance(dbapi_connection, sqlite3.Connection) and not dbapi_connection.in_transaction:
        # The driver sees a transaction open and adds no BEGIN of its own; its commit() and
        # rollback() end this one.
        dbapi_connection.execute("BEGIN IMMEDIATE")
