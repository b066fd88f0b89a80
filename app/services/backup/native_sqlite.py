"""SQLite's own backup: a copy of the database file taken with the online backup API (one
consistent snapshot while the app keeps writing), restored the same way."""

import sqlite3
from pathlib import Path
from urllib.parse import quote

from ...extensions import db
from .common import VERSION_TABLE, BackupError, Summary, model_tables

MAGIC = b"SQLite format 3\x00"


def _open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def write(path: Path) -> Summary:
    """Copy the app's SQLite database into a new file at `path` in one step."""
    raw = db.engine.raw_connection()
    try:
        target = sqlite3.connect(path)
        try:
            # pages=-1 copies everything in one step under one read lock: a single snapshot.
            raw.driver_connection.backup(target, pages=-1)
            # One self-contained file: no -wal or -shm beside it.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        raw.close()
    revision, counts = inspect_file(path)
    return Summary("sqlite", revision, counts)


def inspect_file(path: Path) -> tuple[str | None, dict[str, int]]:
    """Check a SQLite file is whole and holds this application's tables; return its schema
    revision and row counts. Opens it read-only: the file is never changed."""
    try:
        connection = _open_readonly(path)
    except sqlite3.Error as exc:
        raise BackupError(f"{path.name} cannot be opened as a SQLite database ({exc}).") from None
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"{path.name} is a damaged SQLite database: {problems[0]}")
        names = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = {t.name for t in model_tables()} - names
        if VERSION_TABLE not in names or missing:
            raise BackupError(f"{path.name} is a SQLite database but not one of this "
                              "application (its tables are not ours).")
        # The names are ours (alembic_version and the models' tables), not the file's.
        revision = connection.execute(
            f"SELECT version_num FROM {VERSION_TABLE}").fetchone()  # noqa: S608
        counts = {name: connection.execute(
                      f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
                  for name in [VERSION_TABLE, *(t.name for t in model_tables())]}
    except sqlite3.Error as exc:
        raise BackupError(f"{path.name} is a damaged SQLite database ({exc}).") from None
    finally:
        connection.close()
    return (revision[0] if revision else None), counts


def restore(path: Path) -> sqlite3.Connection:
    """Copy the backup over the app's (empty) SQLite database. Returns an in-memory copy of
    what the database held before, for undo() should the restored data fail its checks."""
    if db.engine.dialect.name != "sqlite":
        raise BackupError("A SQLite backup restores only into SQLite; take a portable backup "
                          "(--format portable) to move to PostgreSQL.")
    db.session.remove()
    db.engine.dispose()
    raw = db.engine.raw_connection()
    try:
        before = sqlite3.connect(":memory:")
        raw.driver_connection.backup(before)
        source = _open_readonly(path)
        try:
            source.backup(raw.driver_connection)
        finally:
            source.close()
        raw.driver_connection.execute("PRAGMA journal_mode=WAL")
    finally:
        raw.close()
    db.engine.dispose()  # no pooled connection keeps a view of the old file
    return before


def undo(before: sqlite3.Connection) -> None:
    """Put back what the database held before restore()."""
    db.session.remove()
    db.engine.dispose()
    raw = db.engine.raw_connection()
    try:
        before.backup(raw.driver_connection)
    finally:
        raw.close()
        before.close()
    db.engine.dispose()
