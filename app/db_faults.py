"""Database faults a user can do nothing about (down, busy, read-only, disk full), recognised
from the driver's error codes and answered with a clear status instead of a stack trace."""

import logging
import sqlite3
import sys
from dataclasses import dataclass

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc

from .extensions import db, login_manager

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Fault:
    """What went wrong, the status that says so, and words for people and programs."""

    kind: str  # unavailable, busy, read_only, disk_full
    status: int
    code: str  # the API's error code
    title: str
    message: str
    retry_after: int | None


UNAVAILABLE = Fault(
    "unavailable", 503, "unavailable", _l("The database is not answering"),
    _l("The database is not answering, so nothing you sent was saved. "
       "Please try again in a minute."), 60)
BUSY = Fault(
    "busy", 503, "busy", _l("The database is busy"),
    _l("The database is busy with other changes, so nothing you sent was saved. "
       "Please try again in a few seconds."), 5)
READ_ONLY = Fault(
    "read_only", 503, "read_only", _l("The database is read-only"),
    _l("The database can be read but not written at the moment, so nothing you sent was "
       "saved. The site's operators have to make it writable again."), 300)
DISK_FULL = Fault(
    "disk_full", 507, "disk_full", _l("The server's disk is full"),
    _l("The server's disk is full, so nothing you sent was saved. The site's operators have "
       "to free some space; please try again later."), None)

# SQLite primary result codes (the low byte of the extended code Python reports).
SQLITE_CODES = {
    sqlite3.SQLITE_BUSY: BUSY,
    sqlite3.SQLITE_LOCKED: BUSY,
    sqlite3.SQLITE_READONLY: READ_ONLY,
    sqlite3.SQLITE_FULL: DISK_FULL,
    sqlite3.SQLITE_IOERR: UNAVAILABLE,
    sqlite3.SQLITE_CANTOPEN: UNAVAILABLE,
}

# PostgreSQL SQLSTATEs: exact codes first, then two-character classes.
PG_STATES = {
    "53100": DISK_FULL,  # disk_full
    "25006": READ_ONLY,  # read_only_sql_transaction (a standby, or default_transaction_read_only)
    "53300": BUSY,  # too_many_connections
    "55P03": BUSY,  # lock_not_available
    "57014": BUSY,  # query_canceled (statement_timeout)
    "40001": BUSY,  # serialization_failure
    "40P01": BUSY,  # deadlock_detected
    "57P01": UNAVAILABLE,  # admin_shutdown
    "57P02": UNAVAILABLE,  # crash_shutdown
    "57P03": UNAVAILABLE,  # cannot_connect_now (starting up, recovering)
}
PG_CLASSES = {"08": UNAVAILABLE}  # connection_exception


def _from_sqlite(orig: sqlite3.Error) -> Fault | None:
    code = getattr(orig, "sqlite_errorcode", None)
    if code is None:
        return None
    return SQLITE_CODES.get(code & 0xFF)


def _from_psycopg(orig: Exception) -> Fault | None:
    state = getattr(orig, "sqlstate", None)
    if state:
        return PG_STATES.get(state) or PG_CLASSES.get(state[:2])
    # No SQLSTATE: the server never answered (refused, reset, closed mid-query).
    import psycopg  # loaded already: orig is one of its errors

    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError):
        return UNAVAILABLE
    return None


def classify(error: BaseException) -> Fault | None:
    """The fault behind an exception, or None when it is not a database fault."""
    if isinstance(error, sa_exc.TimeoutError):
        return BUSY  # every pooled connection was in use for pool_timeout seconds
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return UNAVAILABLE  # SQLAlchemy recognised a lost connection
        orig = error.orig
    else:
        # The driver's own error, unwrapped: raised from an event listener's statement
        # (such as the BEGIN IMMEDIATE of app/database.py).
        orig = error
    if isinstance(orig, sqlite3.Error):
        return _from_sqlite(orig)
    # Only a process that loaded psycopg (the PostgreSQL driver) can meet its errors; a SQLite
    # worker does not import it just to ask.
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(orig, psycopg.Error):
        return _from_psycopg(orig)
    return None


def recover(fault: Fault, error: BaseException, method: str, path: str) -> None:
    """Roll back whatever the request wrote, log the fault once, forget the loaded user.

    The rollback may itself fail on a dead connection; the pool then discards that
    connection (and pool_pre_ping tests the others), so the next request starts clean.
    """
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        db.session.close()
    # One line, no traceback: the cause is outside the code (the driver's message says it).
    cause = str(getattr(error, "orig", None) or error).strip()
    log.error("Database %s on %s %s: %s", fault.kind, method, path,
              cause.splitlines()[0] if cause else type(error).__name__)
    # The rollback expired the logged-in user; the error page must not reload it from a
    # database that is not answering, so it renders as for a visitor.
    g._login_user = login_manager.anonymous_user()


def headers(fault: Fault) -> dict[str, str]:
    """Retry-After when trying again later can help."""
    return {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
