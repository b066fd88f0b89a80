"""A damaged, foreign or mismatched backup file, and a database that is not empty, are
refused with a clear message before the target is touched; so are backups that would
overwrite a file or cannot be taken in the asked format."""

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from app.cli.backup import backup_command, restore_command
from app.extensions import db
from app.models import Collective
from app.services import backup
from tests.conftest import make_collective, make_user
from tests.test_backup_support import app_on, contents, inside, tables


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Path]:
    """A small database's portable archive and SQLite copy, made once for the module."""
    folder = tmp_path_factory.mktemp("good")
    source = app_on(f"sqlite:///{folder / 'source.db'}")
    with inside(source):
        flask_migrate.upgrade()
        make_user(collective=make_collective("kino-kollektiv"))
        made = {"portable": folder / "good.zip", "sqlite": folder / "good.db"}
        for fmt, path in made.items():
            backup.create(path, fmt)
    return made


@pytest.fixture
def blank_target(tmp_path):
    """An app on a new SQLite file with nothing in it."""
    return app_on(f"sqlite:///{tmp_path / 'target.db'}")


def _rewrite(source: Path, target: Path, change) -> Path:
    """A copy of an archive whose members went through change(members) (a dict name->bytes)."""
    with zipfile.ZipFile(source) as opened:
        members = {name: opened.read(name) for name in opened.namelist()}
    change(members)
    with zipfile.ZipFile(target, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    return target


def _manifest(members: dict) -> dict:
    return json.loads(members["manifest.json"])


def _set_manifest(members: dict, manifest: dict) -> None:
    members["manifest.json"] = json.dumps(manifest).encode()


def _replace_table_file(members: dict, table: str, data: bytes, fix_checksum: bool) -> None:
    """Put new content in a table's file, with its checksum updated (or not)."""
    manifest = _manifest(members)
    entry = next(t for t in manifest["tables"] if t["name"] == table)
    members[entry["file"]] = data
    if fix_checksum:
        entry["sha256"] = hashlib.sha256(data).hexdigest()
    _set_manifest(members, manifest)


def _users_file(members: dict) -> bytes:
    return members["tables/users.jsonl"]


def _truncated(good, tmp_path):
    data = good["portable"].read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    return tmp_path / "cut.zip"


def _truncated_sqlite(good, tmp_path):
    data = good["sqlite"].read_bytes()
    (tmp_path / "cut.db").write_bytes(data[: len(data) // 2])
    return tmp_path / "cut.db"


def _checksum(good, tmp_path):
    return _rewrite(good["portable"], tmp_path / "sum.zip", lambda m: _replace_table_file(
        m, "users", _users_file(m).replace(b"example.org", b"example.com"), False))


def _bad_json_line(good, tmp_path):
    return _rewrite(good["portable"], tmp_path / "json.zip", lambda m: _replace_table_file(
        m, "users", _users_file(m) + b'{"not": a row\n', True))


def _bad_value(good, tmp_path):
    def change(members):
        row = json.loads(_users_file(members).splitlines()[0])
        columns = next(t for t in _manifest(members)["tables"] if t["name"] == "users")["columns"]
        row[columns.index(["id", "int"])] = "one"
        _replace_table_file(members, "users", json.dumps(row).encode() + b"\n", True)
    return _rewrite(good["portable"], tmp_path / "value.zip", change)


def _row_count(good, tmp_path):
    def change(members):
        manifest = _manifest(members)
        next(t for t in manifest["tables"] if t["name"] == "users")["rows"] = 2
        _set_manifest(members, manifest)
    return _rewrite(good["portable"], tmp_path / "count.zip", change)


def _revision(revision):
    def make(good, tmp_path):
        def change(members):
            manifest = _manifest(members)
            manifest["revision"] = revision
            _set_manifest(members, manifest)
        return _rewrite(good["portable"], tmp_path / "revision.zip", change)
    return make


def _foreign_zip(_good, tmp_path):
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as out:
        out.writestr("holiday.txt", "not a backup")
    return tmp_path / "photos.zip"


def _foreign_manifest(_good, tmp_path):
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as out:
        out.writestr("manifest.json", json.dumps({"format": "someone-else", "version": 1}))
    return tmp_path / "other.zip"


def _csv(_good, tmp_path):
    (tmp_path / "screenings.csv").write_text("film,city,date\nPart One,Kyiv,2026-01-01\n")
    return tmp_path / "screenings.csv"


def _empty(_good, tmp_path):
    (tmp_path / "empty.zip").write_bytes(b"")
    return tmp_path / "empty.zip"


def _foreign_sqlite(_good, tmp_path):
    connection = sqlite3.connect(tmp_path / "other.db")
    connection.execute("CREATE TABLE songs (id INTEGER PRIMARY KEY, title TEXT)")
    connection.execute("INSERT INTO songs (title) VALUES ('Bella ciao')")
    connection.commit()
    connection.close()
    return tmp_path / "other.db"


def _fake_pg_dump(_good, tmp_path):
    (tmp_path / "dump.pgdump").write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    return tmp_path / "dump.pgdump"


BAD_FILES = {
    "truncated archive": (_truncated, "damaged or truncated zip"),
    "truncated sqlite copy": (_truncated_sqlite, "damaged SQLite database"),
    "checksum mismatch": (_checksum, "checksum does not match"),
    "bad JSON line": (_bad_json_line, "line 2: not a valid row"),
    "value of the wrong type": (_bad_value, "'one' is not a valid int"),
    "row count differs from the manifest": (_row_count, "the manifest says 2 rows"),
    "unknown (newer) revision": (_revision("9999_from_the_future"), "does not know"),
    "older revision": (_revision("0001_initial"), "Restore it with the version that made it"),
    "random zip": (_foreign_zip, "not a backup of this application"),
    "someone else's manifest": (_foreign_manifest, "not a backup of this application"),
    "CSV file": (_csv, "not a backup of this application"),
    "empty file": (_empty, "is empty"),
    "someone else's SQLite file": (_foreign_sqlite, "not one of this application"),
}


@pytest.mark.parametrize("make, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_backup_files_are_refused_before_the_target_is_touched(good, blank_target, tmp_path,
                                                                   make, message):
    bad = make(good, tmp_path)
    with inside(blank_target):
        with pytest.raises(backup.BackupError, match=message):
            backup.restore(bad)
        db.session.rollback()
        with db.engine.connect() as connection:
            assert tables(connection) == []  # not even migrated


def test_a_fake_pg_dump_file_is_refused_as_damaged(tmp_path):
    from app.services.backup import native_pg

    if not native_pg.available():
        pytest.skip("pg_restore is not installed")
    bad = _fake_pg_dump(None, tmp_path)
    target = app_on(f"sqlite:///{tmp_path / 'target.db'}")
    with inside(target), pytest.raises(backup.BackupError, match="restores only into"):
        backup.restore(bad)  # a pg_dump file never goes into SQLite
    from app.services.backup.native_pg import inspect_file

    with pytest.raises(backup.BackupError, match="damaged pg_dump file"):
        inspect_file(bad)


def test_the_cli_refuses_a_damaged_archive_with_a_message_and_no_traceback(good, blank_target,
                                                                           tmp_path):
    bad = _checksum(good, tmp_path)
    with inside(blank_target):
        result = blank_target.test_cli_runner().invoke(restore_command, [str(bad)])
        with db.engine.connect() as connection:
            assert tables(connection) == []
    assert result.exit_code == 1
    assert "Error: users: the checksum does not match" in result.output
    assert "Traceback" not in result.output


def test_a_database_with_rows_is_refused_and_left_as_it_was(good, tmp_path):
    target = app_on(f"sqlite:///{tmp_path / 'busy.db'}")
    with inside(target):
        flask_migrate.upgrade()
        make_collective("already-here")
        before = contents()
        for path in good.values():
            with pytest.raises(backup.BackupError, match=r"not empty \(rows in collectives"):
                backup.restore(path)
            db.session.rollback()
            assert contents() == before


def test_a_database_with_tables_of_another_application_is_refused(good, tmp_path):
    _foreign_sqlite(None, tmp_path)  # has a row: refused as not empty
    connection = sqlite3.connect(tmp_path / "other.db")
    connection.execute("DELETE FROM songs")
    connection.commit()
    connection.close()
    target = app_on(f"sqlite:///{tmp_path / 'other.db'}")
    with inside(target):
        with pytest.raises(backup.BackupError, match="tables this application does not know"):
            backup.restore(good["portable"])
        with db.engine.connect() as connection:
            assert tables(connection) == ["songs"]


def test_an_empty_migrated_database_takes_a_restore(good, tmp_path):
    target = app_on(f"sqlite:///{tmp_path / 'migrated.db'}")
    with inside(target):
        flask_migrate.upgrade()
        backup.restore(good["portable"])
        db.session.commit()
        assert db.session.scalar(sa.select(Collective.slug)) == "kino-kollektiv"


def test_backup_refuses_to_overwrite_a_file_or_use_a_format_of_another_database(good, tmp_path):
    source = app_on(f"sqlite:///{tmp_path / 'source.db'}")
    existing = tmp_path / "exists.zip"
    existing.write_bytes(b"keep me")
    with inside(source):
        flask_migrate.upgrade()
        with pytest.raises(backup.BackupError, match="already exists"):
            backup.create(existing)
        with pytest.raises(backup.BackupError, match="PostgreSQL only"):
            backup.create(tmp_path / "new.dump", "pg_dump")
    assert existing.read_bytes() == b"keep me"
    assert not (tmp_path / "new.dump").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_backup_of_a_database_behind_the_code_is_refused(tmp_path):
    source = app_on(f"sqlite:///{tmp_path / 'old.db'}")
    with inside(source):
        flask_migrate.upgrade(revision="0001_initial")
        with source.app_context():  # the command's app, above the suite's
            result = source.test_cli_runner().invoke(
                backup_command, [str(tmp_path / "old.zip"), "--format", "portable"])
    assert result.exit_code == 1
    assert "run `flask db upgrade` first" in result.output
    assert not (tmp_path / "old.zip").exists()
