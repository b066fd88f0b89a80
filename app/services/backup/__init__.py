"""Backups and restores: SQLite's online backup, pg_dump, and a portable archive that moves
data between SQLite and PostgreSQL. A backup file is checked in full (format, schema revision,
checksums, every row) before a restore touches the target, which must be empty; the restored
rows are counted and the ledger sums compared with the contributions before the caller
commits. Functions flush but never commit (a native restore is the exception: the copy is
the database's own, and it is undone if its checks fail)."""

import os
import secrets
from pathlib import Path

import sqlalchemy as sa

from ...extensions import db
from .. import ledger
from . import native_pg, native_sqlite, portable
from .common import (
    VERSION_TABLE,
    BackupError,
    Progress,
    Summary,
    check_revision,
    count_rows,
    prepare_target,
    quiet,
    target_state,
)

FORMATS = ("auto", "sqlite", "pg_dump", "portable")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

__all__ = ["FORMATS", "BackupError", "Summary", "create", "detect", "restore"]


def _choose(path: Path, requested: str) -> str:
    """The format for a backup: what was asked, or by the database and the file name."""
    dialect = db.engine.dialect.name
    if requested != "auto":
        if requested == "sqlite" and dialect != "sqlite":
            raise BackupError("--format sqlite backs up SQLite databases only; this one is "
                              f"{dialect}. Use pg_dump or portable.")
        if requested == "pg_dump" and dialect != "postgresql":
            raise BackupError("--format pg_dump backs up PostgreSQL only; this database is "
                              f"{dialect}. Use sqlite or portable.")
        if requested == "pg_dump" and not native_pg.available():
            raise BackupError("pg_dump is not installed; use --format portable.")
        return requested
    if path.suffix.lower() == ".zip":
        return "portable"
    if dialect == "sqlite":
        return "sqlite"
    return "pg_dump" if dialect == "postgresql" and native_pg.available() else "portable"


def create(path: str | os.PathLike, fmt: str = "auto", progress: Progress = quiet) -> Summary:
    """Take a consistent backup of the app's database into a new file at `path`."""
    path = Path(path)
    if fmt not in FORMATS:
        raise BackupError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file name.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    chosen = _choose(path, fmt)
    # Written beside the target and renamed at the end: a failed backup leaves no half file.
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        if chosen == "portable":
            summary = portable.write(partial, progress)
        else:
            writer = native_sqlite.write if chosen == "sqlite" else native_pg.write
            summary = writer(partial)
            for name, rows in summary.tables.items():
                progress(f"  {name}: {rows} rows")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return summary


def detect(path: Path) -> str:
    """Which kind of backup a file is, by its first bytes; refuse anything else."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    with path.open("rb") as handle:
        head = handle.read(16)
    if not head:
        raise BackupError(f"{path.name} is empty.")
    if head.startswith(native_sqlite.MAGIC):
        return "sqlite"
    if head.startswith(native_pg.MAGIC):
        return "pg_dump"
    if head.startswith(ZIP_MAGIC):
        return "portable"
    raise BackupError(f"{path.name} is not a backup of this application (neither a portable "
                      "archive, a SQLite database nor a pg_dump file).")


def restore(path: str | os.PathLike, progress: Progress = quiet) -> Summary:
    """Restore a backup into the app's empty database; the caller commits. Everything about
    the file is checked before the database is touched."""
    path = Path(path)
    kind = detect(path)
    if kind == "portable":
        return _restore_portable(path, progress)
    module = native_sqlite if kind == "sqlite" else native_pg
    wanted = "sqlite" if kind == "sqlite" else "postgresql"
    if db.engine.dialect.name != wanted:
        raise BackupError(f"A {kind} backup restores only into {wanted}, and this database is "
                          f"{db.engine.dialect.name}. Take a portable backup (--format "
                          "portable) to move between databases.")
    progress(f"Checking {path.name} ({kind})")
    revision, counts = module.inspect_file(path)
    check_revision(revision)
    state = target_state(revision)
    progress("Restoring")
    undo = module.restore(path) if kind == "sqlite" else module.restore(path, state)
    try:
        _verify(revision, counts)
    except BackupError:
        if kind == "sqlite":
            native_sqlite.undo(undo)
        else:
            native_pg.undo()
        raise
    for name, rows in counts.items():
        progress(f"  {name}: {rows} rows")
    return Summary(kind, revision, counts)


def _restore_portable(path: Path, progress: Progress) -> Summary:
    archive = portable.Archive(path)
    try:
        progress(f"Checking {path.name} (portable, from {archive.manifest.get('dialect')})")
        counts = archive.check(progress)
        state = target_state(archive.revision)
        prepare_target(state, archive.revision)
        progress("Restoring")
        archive.load(progress)
    finally:
        archive.close()
    _verify(archive.revision, counts)
    return Summary("portable", archive.revision, counts)


def _verify(revision: str, counts: dict[str, int]) -> None:
    """The restored database has every row and its ledger sums match its contributions."""
    connection = db.session.connection()
    for name, expected in counts.items():
        if name != VERSION_TABLE and count_rows(connection, name) != expected:
            raise BackupError(f"{name}: {count_rows(connection, name)} rows restored, the backup "
                              f"has {expected}; nothing was restored.")
    restored = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")  # noqa: S608
                                  ).scalar()
    if restored != revision:
        raise BackupError(f"The restored schema revision is {restored!r}, not {revision!r}.")
    differences = ledger.mismatches()
    if differences:
        raise BackupError(f"{len(differences)} ledger sums in the backup differ from its "
                          f"contributions (first: {differences[0]}); nothing was restored.")
