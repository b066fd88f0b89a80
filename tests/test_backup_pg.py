"""On PostgreSQL (`make test-pg`): pg_dump backups and portable archives round trip every row
and every total into a scratch database, blank or migrated and empty, and a pg_dump file is
refused by SQLite and its damaged copies by pg_restore's check before anything is touched."""

import flask_migrate
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.services import backup
from app.services.backup import native_pg
from tests.conftest import make_collective, make_user
from tests.scratch_db import scratch_database, server_or_skip
from tests.test_backup_support import (
    app_on,
    contents,
    every_table_has_rows,
    figures,
    inside,
    seed_every_table,
    seed_new_rows_get_fresh_ids,
    tables,
)


@pytest.fixture
def source_state():
    """The suite's PostgreSQL database with a row in every table: its contents and figures."""
    server_or_skip(only_in_pg_suite=True)
    seed_every_table()
    rows = contents()
    assert every_table_has_rows(rows) == []
    return rows, figures()


def _round_trip(server, suffix: str, path, rows: dict, money: dict, migrate_first: bool):
    with scratch_database(server, suffix) as url:
        target = app_on(url.render_as_string(hide_password=False))
        with inside(target):
            if migrate_first:
                flask_migrate.upgrade()
            backup.restore(path)
            db.session.commit()
        with inside(target):
            assert contents() == rows
            assert figures() == money
            seed_new_rows_get_fresh_ids()


def test_pg_dump_and_portable_round_trips_keep_every_row_and_total(source_state, tmp_path):
    rows, money = source_state
    server = server_or_skip(only_in_pg_suite=True)
    if native_pg.available():
        made = backup.create(tmp_path / "screenings.dump", "auto")
        assert made.format == "pg_dump"
        assert made.tables["contributions"] == len(rows["contributions"])
        # Into a new database, and into one already migrated (empty tables of ours).
        for migrate_first in (False, True):
            _round_trip(server, f"backup_pgdump_{int(migrate_first)}",
                        tmp_path / "screenings.dump", rows, money, migrate_first)

    made = backup.create(tmp_path / "screenings.zip")
    assert made.format == "portable"
    _round_trip(server, "backup_portable", tmp_path / "screenings.zip", rows, money, False)
    # And back to SQLite.
    target = app_on(f"sqlite:///{tmp_path / 'moved.db'}")
    with inside(target):
        backup.restore(tmp_path / "screenings.zip")
        db.session.commit()
    with inside(target):
        assert contents() == rows
        assert figures() == money


def test_damaged_pg_dump_and_wrong_database_are_refused_untouched(tmp_path):
    server_or_skip(only_in_pg_suite=True)
    if not native_pg.available():
        pytest.skip("pg_dump is not installed")
    make_user(collective=make_collective())
    backup.create(tmp_path / "good.dump", "pg_dump")
    data = (tmp_path / "good.dump").read_bytes()
    (tmp_path / "cut.dump").write_bytes(data[: len(data) * 2 // 3])
    server = server_or_skip(only_in_pg_suite=True)
    with scratch_database(server, "backup_refused") as url:
        target = app_on(url.render_as_string(hide_password=False))
        with inside(target):
            with pytest.raises(backup.BackupError, match="damaged pg_dump file"):
                backup.restore(tmp_path / "cut.dump")
            with db.engine.connect() as connection:
                assert tables(connection) == []
    sqlite_target = app_on(f"sqlite:///{tmp_path / 'target.db'}")
    with inside(sqlite_target):
        with pytest.raises(backup.BackupError, match="restores only into postgresql"):
            backup.restore(tmp_path / "good.dump")
        with db.engine.connect() as connection:
            assert tables(connection) == []
    # The suite's own database has rows: refused, whatever the format.
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(tmp_path / "good.dump")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("users"))) > 0
