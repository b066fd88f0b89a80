"""PostgreSQL's own backup: pg_dump's custom format (one consistent snapshot, taken by
pg_dump itself), checked by reading it through pg_restore and restored with pg_restore."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from ...extensions import db
from .common import VERSION_TABLE, BackupError, Summary, model_tables

MAGIC = b"PGDMP"
COPY = re.compile(r'^COPY (?:"?[\w$]+"?\.)?"?([\w$]+)"? .*FROM stdin;$')


def available() -> bool:
    """Whether pg_dump and pg_restore are installed."""
    return bool(shutil.which("pg_dump") and shutil.which("pg_restore"))


def _connection_args() -> tuple[list[str], dict]:
    """libpq arguments for the app's database; the password goes by environment, never
    on a command line other users can read."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return ["--dbname", dsn], env


def _run(command: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    if not available():
        raise BackupError("pg_dump and pg_restore are not installed (PostgreSQL client "
                          "tools); use --format portable.")
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603


def write(path: Path) -> Summary:
    """Dump the app's PostgreSQL database to a new custom-format file at `path`."""
    if db.engine.dialect.name != "postgresql":
        raise BackupError("pg_dump backs up PostgreSQL only; this database is "
                          f"{db.engine.dialect.name}.")
    args, env = _connection_args()
    done = _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                 "--file", str(path), *args], env)
    if done.returncode:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    revision, counts = inspect_file(path)
    return Summary("pg_dump", revision, counts)


def inspect_file(path: Path) -> tuple[str | None, dict[str, int]]:
    """Read the whole dump through pg_restore (a damaged or truncated one fails) and return
    its schema revision and row counts; refuse a dump of another application's database."""
    if _run(["pg_restore", "--list", str(path)]).returncode:
        raise BackupError(f"{path.name} is a damaged pg_dump file (pg_restore cannot read its "
                          "table of contents).")
    counts: dict[str, int] = {}
    revision, table = None, None
    # stderr goes to a file: a pipe left unread could fill and stall pg_restore.
    with tempfile.TemporaryFile("w+") as errors, subprocess.Popen(  # noqa: S603
            ["pg_restore", "--data-only", "--file=-", str(path)],  # noqa: S607
            stdout=subprocess.PIPE, stderr=errors, text=True) as process:
        for line in process.stdout:
            line = line.rstrip("\n")
            if table is None:
                match = COPY.match(line)
                if match:
                    table = match.group(1)
                    counts[table] = 0
            elif line == "\\.":
                table = None
            else:
                counts[table] += 1
                if table == VERSION_TABLE and revision is None:
                    revision = line.split("\t")[0]
        if process.wait():
            errors.seek(0)
            raise BackupError(f"{path.name} is a damaged pg_dump file: "
                              f"{errors.read().strip()[:300]}")
    if {VERSION_TABLE, *(t.name for t in model_tables())} - set(counts):
        raise BackupError(f"{path.name} is a pg_dump file but not of this application's "
                          "database (its tables are not ours).")
    return revision, counts


def restore(path: Path, state: str) -> None:
    """Load the dump into the app's (empty) PostgreSQL database, all or nothing."""
    if db.engine.dialect.name != "postgresql":
        raise BackupError("A pg_dump backup restores only into PostgreSQL; take a portable "
                          "backup (--format portable) to move to SQLite.")
    db.session.remove()
    args, env = _connection_args()
    # An empty schema of ours is replaced by the dump's (--clean); nothing holds rows.
    clean = [] if state == "blank" else ["--clean", "--if-exists"]
    done = _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction",
                 "--exit-on-error", *clean, *args, str(path)], env)
    if done.returncode:
        raise BackupError(f"pg_restore failed (nothing was restored): {done.stderr.strip()}")


def undo() -> None:
    """Empty every table again after a restore that failed its checks."""
    db.session.rollback()
    names = ", ".join(t.name for t in model_tables())
    with db.engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
