"""The portable archive: a zip with manifest.json and one JSON Lines file per table, written
from one read snapshot and loadable into SQLite or PostgreSQL alike."""

import hashlib
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from ...extensions import db
from . import codec
from .common import (
    VERSION_TABLE,
    BackupError,
    Progress,
    Summary,
    all_tables,
    check_revision,
    database_revision,
    head_revision,
)

MARKER = "solidarity-screenings-backup"
VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000


@contextmanager
def snapshot() -> Iterator[sa.Connection]:
    """A connection whose reads all see one moment, while writers carry on."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # DEFERRABLE waits for a snapshot no serializable writer can invalidate, then
            # reads without taking or blocking any lock.
            connection = connection.execution_options(
                isolation_level="SERIALIZABLE", postgresql_readonly=True,
                postgresql_deferrable=True)
        with connection.begin():
            if connection.dialect.name == "sqlite":
                # The driver begins nothing before a write: without this, each SELECT would
                # see its own moment. In WAL mode the read transaction blocks no writer.
                connection.exec_driver_sql("BEGIN")
            yield connection


def _columns(table: sa.Table) -> list[list[str]]:
    return [[column.name, codec.tag(column)] for column in table.columns]


def write(path: Path, progress: Progress) -> Summary:
    """Write every table, read in one snapshot, to a new archive at `path`."""
    entries, summary = [], Summary("portable", None)
    with snapshot() as connection, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        summary.revision = database_revision(connection)
        if summary.revision != head_revision():
            raise BackupError(f"The database's schema is at revision {summary.revision!r}, not "
                              f"this version's {head_revision()!r}: run `flask db upgrade` first.")
        for table in all_tables():
            columns = _columns(table)
            digest, rows = hashlib.sha256(), 0
            query = sa.select(*(codec.read_expression(c) for c in table.columns)).order_by(
                *table.primary_key.columns)
            name = f"tables/{table.name}.jsonl"
            with archive.open(name, "w", force_zip64=True) as out:
                result = connection.execution_options(yield_per=BATCH).execute(query)
                for row in result:
                    line = json.dumps([codec.encode(v, kind) for v, (_, kind)
                                       in zip(row, columns, strict=True)],
                                      ensure_ascii=False, separators=(",", ":"))
                    data = (line + "\n").encode("utf-8")
                    digest.update(data)
                    out.write(data)
                    rows += 1
            entries.append({"name": table.name, "file": name, "rows": rows,
                            "sha256": digest.hexdigest(), "columns": columns})
            summary.tables[table.name] = rows
            progress(f"  {table.name}: {rows} rows")
        manifest = {
            "format": MARKER, "version": VERSION, "revision": summary.revision,
            "dialect": connection.dialect.name,
            "created_at": datetime.now(UTC).isoformat(),
            "base_currency": _base_currency(), "tables": entries,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    return summary


def _base_currency() -> str:
    from flask import current_app

    return current_app.config["BASE_CURRENCY"]


class Archive:
    """A portable archive opened for restoring: checked in full before anything is loaded."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BackupError(f"{path.name} is a damaged or truncated zip file ({exc}).") from None
        try:
            raw = self.zip.read(MANIFEST)
        except KeyError:
            self.zip.close()
            raise BackupError(f"{path.name} is a zip file but not a backup of this application "
                              "(it has no manifest.json).") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            self.zip.close()
            raise BackupError(f"{path.name}: the manifest is damaged ({exc}).") from None
        try:
            self.manifest = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            self.zip.close()
            raise BackupError(f"{path.name}: manifest.json is not valid JSON.") from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != MARKER:
            self.zip.close()
            raise BackupError(f"{path.name} is a zip file but not a backup of this application.")

    def close(self) -> None:
        """Close the zip file."""
        self.zip.close()

    @property
    def revision(self) -> str | None:
        """The schema revision the archive was taken at."""
        return self.manifest.get("revision")

    def check(self, progress: Progress) -> dict[str, int]:
        """Refuse an archive of another version, schema or currency, or with any damaged
        table file (checksum, row count, a line that is not a row); return the row counts."""
        from flask import current_app

        if self.manifest.get("version") != VERSION:
            raise BackupError(f"Backup format version {self.manifest.get('version')!r} is not "
                              f"one this version reads ({VERSION}).")
        check_revision(self.revision)
        base = current_app.config["BASE_CURRENCY"]
        if self.manifest.get("base_currency") != base:
            raise BackupError(f"The backup's base currency is {self.manifest.get('base_currency')}"
                              f", this application's {base}: set BASE_CURRENCY to match first.")
        entries = self.manifest.get("tables")
        expected = {t.name: t for t in all_tables()}
        if not isinstance(entries, list) or {e.get("name") for e in entries if
                                             isinstance(e, dict)} != set(expected):
            raise BackupError("The backup's tables are not this application's tables.")
        counts = {}
        for entry in entries:
            table = expected[entry["name"]]
            if entry.get("columns") != _columns(table):
                raise BackupError(f"The backup's columns of {table.name} differ from this "
                                  "version's.")
            rows = sum(1 for _ in self.rows(entry, table))
            if rows != entry.get("rows"):
                raise BackupError(f"{table.name}: the manifest says {entry.get('rows')} rows, "
                                  f"the file holds {rows}.")
            counts[table.name] = rows
            progress(f"  checked {table.name}: {rows} rows")
        return counts

    def rows(self, entry: dict, table: sa.Table) -> Iterator[dict]:
        """The table file's rows, decoded, each line checked; the checksum at the end."""
        kinds = [(name, kind) for name, kind in entry["columns"]]
        digest = hashlib.sha256()
        try:
            with self.zip.open(entry["file"]) as lines:
                for number, line in enumerate(lines, 1):
                    digest.update(line)
                    yield self._row(line, kinds, table.name, number)
        except KeyError:
            raise BackupError(f"The backup has no file for table {table.name}.") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BackupError(f"{table.name}: the file is damaged ({exc}).") from None
        if digest.hexdigest() != entry.get("sha256"):
            raise BackupError(f"{table.name}: the checksum does not match; the backup is "
                              "damaged.")

    @staticmethod
    def _row(line: bytes, kinds: list, name: str, number: int) -> dict:
        try:
            values = json.loads(line)
            if not isinstance(values, list) or len(values) != len(kinds):
                raise ValueError("not a row of this table")
            return {column: codec.decode(value, kind)
                    for value, (column, kind) in zip(values, kinds, strict=True)}
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackupError(f"{name}, line {number}: not a valid row ({exc}).") from None

    def load(self, progress: Progress) -> dict[str, int]:
        """Insert every row, parents first, in the session's transaction; return counts."""
        session, counts = db.session, {}
        entries = {e["name"]: e for e in self.manifest["tables"]}
        for table in all_tables():
            if table.name == VERSION_TABLE:
                continue  # the migration wrote it; verify() compares it
            statement = _insert(table, session.get_bind().dialect.name)
            batch, rows = [], 0
            for row in self.rows(entries[table.name], table):
                batch.append(row)
                if len(batch) == BATCH:
                    session.execute(statement, batch)
                    rows, batch = rows + len(batch), []
            if batch:
                session.execute(statement, batch)
                rows += len(batch)
            counts[table.name] = rows
            progress(f"  {table.name}: {rows} rows")
        _reset_sequences(session)
        return counts


def _insert(table: sa.Table, dialect: str):
    """An INSERT taking JSON columns as their text, so SQL NULL and JSON null stay apart."""
    values = {}
    for column in table.columns:
        if codec.tag(column) == "json":
            param = sa.bindparam(column.name, type_=sa.Text)
            values[column.name] = sa.cast(param, column.type) if dialect == "postgresql" else param
    return table.insert().values(values) if values else table.insert()


def _reset_sequences(session) -> None:
    """PostgreSQL: move each id sequence past the restored ids, so new rows get fresh ones."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in all_tables():
        column = table.autoincrement_column
        if column is None:
            continue
        session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608 (our names)
            f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
        ), {"table": table.name, "column": column.name})
