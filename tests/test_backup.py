"""Backups round trip: every row of every table and every total comes back, through SQLite's
own backup, the portable archive (SQLite -> SQLite, SQLite -> PostgreSQL), and a backup taken
while contributions keep coming in is one consistent moment."""

import hashlib
import json
import shutil
import sqlite3
import threading
import zipfile
from collections import defaultdict

import flask_migrate
import pytest
import sqlalchemy as sa

from app.cli.backup import backup_command, restore_command
from app.extensions import db
from app.models import Fundraiser, Role, User
from app.services import backup, ledger
from tests.conftest import make_collective, make_screening, make_user
from tests.scratch_db import scratch_database
from tests.test_backup_support import (
    app_on,
    backup_pg_server,
    contents,
    every_table_has_rows,
    figures,
    inside,
    seed_every_table,
    seed_new_rows_get_fresh_ids,
    today,
)


@pytest.fixture(scope="module")
def _seeded_sqlite_template(tmp_path_factory):
    """A SQLite file with a row in every table, its contents and figures; made once per
    module, copied by each test."""
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    with inside(app_on(f"sqlite:///{path}")):
        flask_migrate.upgrade()
        seed_every_table()
        rows = contents()
        assert every_table_has_rows(rows) == []
        money = figures()
    return path, rows, money


@pytest.fixture
def seeded_sqlite(tmp_path, _seeded_sqlite_template):
    """(app, contents, figures): an app on a SQLite file of its own with a row in every table
    (the suite itself may run on PostgreSQL)."""
    template, rows, money = _seeded_sqlite_template
    path = tmp_path / "source.db"
    shutil.copy(template, path)
    return app_on(f"sqlite:///{path}"), rows, money


def _assert_same(target, rows: dict, money: dict) -> None:
    with inside(target):
        assert contents() == rows
        assert figures() == money
        assert ledger.mismatches() == []
        seed_new_rows_get_fresh_ids()


def test_sqlite_native_backup_restores_every_row_and_total(seeded_sqlite, tmp_path):
    sqlite_source, rows, money = seeded_sqlite
    with inside(sqlite_source):
        made = backup.create(tmp_path / "screenings.db", "auto")
    assert made.format == "sqlite"
    assert made.tables["contributions"] == len(rows["contributions"])

    target = app_on(f"sqlite:///{tmp_path / 'restored.db'}")
    with inside(target):
        restored = backup.restore(tmp_path / "screenings.db")
        db.session.commit()
    assert restored.format == "sqlite" and restored.tables == made.tables
    _assert_same(target, rows, money)


def test_portable_archive_round_trips_sqlite_to_sqlite_through_the_cli(seeded_sqlite, tmp_path):
    sqlite_source, rows, money = seeded_sqlite
    archive = tmp_path / "screenings.zip"

    # The suite's app context is pushed around every test: the command's own app goes on top.
    with sqlite_source.app_context():
        made = sqlite_source.test_cli_runner().invoke(backup_command, [str(archive)])
    assert made.exit_code == 0, made.output
    assert f"contributions: {len(rows['contributions'])} rows" in made.output
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    assert manifest["format"] == "solidarity-screenings-backup"
    assert manifest["dialect"] == "sqlite"
    assert manifest["revision"] == rows["alembic_version"][0][0]
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == {
        name: len(table_rows) for name, table_rows in rows.items()}

    target = app_on(f"sqlite:///{tmp_path / 'restored.db'}")
    with inside(target):
        done = target.test_cli_runner().invoke(restore_command, [str(archive)])
    assert done.exit_code == 0, done.output
    assert "the ledger sums match the contributions" in done.output
    _assert_same(target, rows, money)


def test_portable_archive_moves_sqlite_to_postgresql(seeded_sqlite, tmp_path):
    server = backup_pg_server()
    sqlite_source, rows, money = seeded_sqlite
    with inside(sqlite_source):
        backup.create(tmp_path / "move.zip", "portable")
    with scratch_database(server, "backup_sqlite_to_pg") as url:
        target = app_on(url.render_as_string(hide_password=False))
        with inside(target):
            restored = backup.restore(tmp_path / "move.zip")
            db.session.commit()
        assert restored.rows == sum(len(r) for r in rows.values())
        _assert_same(target, rows, money)


def _archive_rows(path, table: str) -> list[dict]:
    with zipfile.ZipFile(path) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        entry = next(t for t in manifest["tables"] if t["name"] == table)
        names = [name for name, _kind in entry["columns"]]
        return [dict(zip(names, json.loads(line), strict=True))
                for line in opened.read(entry["file"]).splitlines()]


def test_backup_while_contributions_come_in_is_one_consistent_moment(app, tmp_path, catalogue):
    collective = make_collective()
    actor_id = make_user(Role.COORDINATOR).id
    fundraiser_ids = [make_screening(collective, city=city, country=country).fundraiser.id
                      for city, country in (("Helsinki", "FI"), ("Kyiv", "UA"), ("Lisbon", "PT"))]
    written, backed_up, stop, failures = [0], threading.Event(), threading.Event(), []
    before = len(_table_count("contributions"))

    def keep_recording():
        with app.app_context():
            try:
                while not stop.is_set():
                    fundraiser = db.session.get(Fundraiser, fundraiser_ids[written[0] % 3])
                    ledger.record_contribution(
                        fundraiser, db.session.get(User, actor_id),
                        amount=("1.25", "4.50", "300")[written[0] % 3],
                        currency=("EUR", "PLN", "JPY")[written[0] % 3], received_on=today(),
                        channel="door")
                    db.session.commit()
                    written[0] += 1
                    if backed_up.is_set() and written[0] >= after_backup[0] + 3:
                        return
            except Exception as exc:
                failures.append(exc)
            finally:
                db.session.remove()

    after_backup = [0]
    writer = threading.Thread(target=keep_recording)
    writer.start()
    try:
        while written[0] < 5 and writer.is_alive():
            threading.Event().wait(0.01)
        summary = backup.create(tmp_path / "busy.zip", "portable")
        after_backup[0] = written[0]
        backed_up.set()
        writer.join(timeout=60)
    finally:
        stop.set()
        writer.join()
    assert failures == []

    contributions = _archive_rows(tmp_path / "busy.zip", "contributions")
    days = _archive_rows(tmp_path / "busy.zip", "ledger_days")
    assert summary.tables["contributions"] == len(contributions)
    # Writes went on before and after the snapshot: the archive caught the middle.
    assert before + 5 <= len(contributions) < len(_table_count("contributions"))
    summed: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in contributions:
        key = (row["fundraiser_id"], row["received_on"], row["currency"], row["state"])
        summed[key][0] += row["amount_minor"]
        summed[key][1] += 1
    kept = {(d["fundraiser_id"], d["received_on"], d["currency"], d["state"]):
            [d["amount_minor"], d["count"]] for d in days}
    assert kept == dict(summed)


def _table_count(name: str) -> list:
    db.session.expire_all()
    return db.session.execute(sa.text(f"SELECT id FROM {name}")).all()  # noqa: S608


def test_a_backup_whose_ledger_sums_disagree_is_refused_and_undone(seeded_sqlite, tmp_path):
    sqlite_source, _rows, _money = seeded_sqlite
    with inside(sqlite_source):
        backup.create(tmp_path / "copy.db", "sqlite")
        backup.create(tmp_path / "archive.zip", "portable")
    # A day sum that no longer matches its contributions (the file itself is whole).
    connection = sqlite3.connect(tmp_path / "copy.db")
    connection.execute("UPDATE ledger_days SET amount_minor = amount_minor + 1 "
                       "WHERE rowid = (SELECT min(rowid) FROM ledger_days)")
    connection.commit()
    connection.close()
    with zipfile.ZipFile(tmp_path / "archive.zip") as opened:
        members = {name: opened.read(name) for name in opened.namelist()}
    manifest = json.loads(members["manifest.json"])
    entry = next(t for t in manifest["tables"] if t["name"] == "ledger_days")
    lines = members[entry["file"]].splitlines(keepends=True)
    first = json.loads(lines[0])
    first[[name for name, _kind in entry["columns"]].index("amount_minor")] += 1
    lines[0] = json.dumps(first).encode() + b"\n"
    members[entry["file"]] = b"".join(lines)
    entry["sha256"] = hashlib.sha256(members[entry["file"]]).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(tmp_path / "tampered.zip", "w") as out:
        for name, data in members.items():
            out.writestr(name, data)

    native = app_on(f"sqlite:///{tmp_path / 'native.db'}")
    with inside(native):
        with pytest.raises(backup.BackupError, match="ledger sums in the backup differ"):
            backup.restore(tmp_path / "copy.db")
        with db.engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() == []  # put back as it was
    portable = app_on(f"sqlite:///{tmp_path / 'portable.db'}")
    with inside(portable):
        with pytest.raises(backup.BackupError, match="ledger sums in the backup differ"):
            backup.restore(tmp_path / "tampered.zip")
        db.session.rollback()
        # Migrated for the restore, but not one row kept.
        assert {name: rows for name, rows in contents().items() if rows} == {
            "alembic_version": contents()["alembic_version"]}
