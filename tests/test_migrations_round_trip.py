"""Every migration, one step at a time, base -> head -> base -> head, with rows in every table.

At each revision the test reflects the tables that exist (so that later migrations' tables are
covered without editing this file), inserts a new generation of representative rows into each,
and after the next step checks that every row of a table that still exists kept its values in
the columns that still exist. Data migrations are checked where their table appears: 0004's
ledger_days must equal the contributions summed, 0006's month sums must equal the ledger days.
Then `alembic check` (what `flask db check` runs) finds no drift from the models.

Runs on a temporary SQLite file, and on a scratch PostgreSQL database (<suite db>_migrations)
when TEST_DATABASE_URL names PostgreSQL (`make test-pg`).
"""

import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from app import create_app
from app.extensions import db
from tests.scratch_db import scratch_database, server_or_skip

Snapshot = dict[str, dict[tuple, dict]]  # table -> primary key -> row

# Representative variety where one generic row per table would not be: a published and a
# cancelled screening, contributions converted and not, two on one day (summed into one ledger
# day). Values may be callables of the row built so far.
VARIANTS: dict[str, list[dict]] = {
    "screenings": [{"status": "published", "cancel_reason": None},
                   {"status": "cancelled", "cancel_reason": "threats"}],
    "contributions": [
        {"currency": "EUR", "state": "collected", "amount_minor": 12050,
         "base_currency": "EUR", "base_amount_minor": 12050, "rate_per_base": Decimal(1)},
        {"currency": "EUR", "state": "collected", "amount_minor": 990,
         "base_currency": "EUR", "base_amount_minor": 990, "rate_per_base": Decimal(1)},
        {"currency": "PLN", "state": "pledged", "amount_minor": 50000,
         "base_currency": None, "base_amount_minor": None, "rate_per_base": None,
         "rate_valid_on": None},
    ],
    "ledger_days": [{"received_month": lambda row: row["received_on"].strftime("%Y-%m")}],
}
# Columns whose checks a generic value would break, by name (any table).
BY_NAME = {
    "email": lambda n: f"person{n}@example.org",
    "code": lambda n: chr(65 + n // 26 % 26) + chr(65 + n % 26),
    "timezone": lambda n: "Europe/Helsinki",
}
NOT_SEEDED = {"alembic_version"}


def _revisions(application) -> list[str]:
    """Revision ids, oldest first, from Alembic's script directory."""
    config = application.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _reflect() -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(db.engine)
    return metadata


def _choices(table: sa.Table, column: sa.Column) -> list[str] | None:
    """The values an enum-like CHECK (col IN (...), or PostgreSQL's = ANY (ARRAY[...])) allows."""
    for constraint in table.constraints:
        if not isinstance(constraint, sa.CheckConstraint):
            continue
        sql = str(constraint.sqltext)
        if re.match(rf"^\W*{column.name}\W*(::\w+\W*)?(IN \(|= ANY)", sql):
            return re.findall(r"'([^']*)'", sql)
    return None


def _value(table: sa.Table, column: sa.Column, n: int, parents: dict[str, dict]):
    """A value that satisfies the column's type and checks; n makes it unique."""
    for fk in column.foreign_keys:
        return parents[fk.column.table.name][fk.column.name]
    if column.name in BY_NAME:
        return BY_NAME[column.name](n)
    choices = _choices(table, column)
    if choices:
        return choices[n % len(choices)]
    kind = column.type
    if "currency" in column.name:
        return "EUR"
    if column.name.endswith("_month"):
        return f"2026-{n % 12 + 1:02d}"
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1, 12, 30, tzinfo=UTC) + timedelta(days=n, seconds=n)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1) + timedelta(days=n)
    if isinstance(kind, sa.Integer):
        return n
    if isinstance(kind, sa.Numeric | sa.Float):
        # Small enough for a latitude or longitude.
        return Decimal(f"{n % 80}.25") if kind.asdecimal else n % 80 + 0.25
    if isinstance(kind, sa.JSON):
        return {"n": n, "items": [f"v{n}", None, 1.5]}
    if isinstance(kind, sa.LargeBinary):
        return bytes(range(n % 200, n % 200 + 40))
    if isinstance(kind, sa.String):
        text = f"{column.name} {n} \u00e9\u2019"  # not only ASCII
        return text[: kind.length] if kind.length else text
    raise AssertionError(f"no test value for {table.name}.{column.name} ({kind!r})")


def _insert_generation(metadata: sa.MetaData, generation: int) -> None:
    """One generation of rows in every table, parents first, foreign keys to this generation."""
    parents: dict[str, dict] = {}
    with db.engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name in NOT_SEEDED:
                continue
            for index, variant in enumerate(VARIANTS.get(table.name, [{}])):
                n = generation * 10 + index + 1
                row = {column.name: _value(table, column, n, parents)
                       for column in table.columns}
                row.update({name: value for name, value in variant.items()
                            if name in row and not callable(value)})
                row.update({name: value(row) for name, value in variant.items()
                            if name in row and callable(value)})
                conn.execute(table.insert(), row)
                parents.setdefault(table.name, row)


def _snapshot(metadata: sa.MetaData) -> Snapshot:
    """Every row of every table, by primary key, as the database gives it back."""
    snapshot: Snapshot = {}
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            keys = [column.name for column in table.primary_key.columns]
            assert keys, f"{table.name} has no primary key"
            rows = conn.execute(sa.select(table)).mappings()
            snapshot[table.name] = {tuple(row[k] for k in keys): dict(row) for row in rows}
    return snapshot


def _assert_kept(before: Snapshot, after: Snapshot, step: str) -> None:
    """Each row of a table that still exists kept its values in the columns still there."""
    for name, rows in before.items():
        if name not in after or name in NOT_SEEDED:
            continue  # the step dropped the table: its rows go with it, by design
        for key, row in rows.items():
            assert key in after[name], f"{step}: {name} lost the row {key}"
            now = after[name][key]
            kept = {column: value for column, value in row.items() if column in now}
            assert {column: now[column] for column in kept} == kept, f"{step}: {name} {key}"


def _rows(sql: str) -> set[tuple]:
    with db.engine.connect() as conn:
        return {tuple(row) for row in conn.execute(sa.text(sql))}


def _assert_data_migrations(appeared: set[str]) -> None:
    """The tables a data migration fills hold what they should when they appear."""
    if "ledger_days" in appeared:
        expected = _rows("""
            SELECT fundraiser_id, received_on, currency, state, SUM(amount_minor), COUNT(*),
                SUM(COALESCE(base_amount_minor, 0)),
                SUM(CASE WHEN base_amount_minor IS NULL THEN 1 ELSE 0 END)
            FROM contributions GROUP BY fundraiser_id, received_on, currency, state""")
        assert expected, "no contributions to fill ledger_days from"
        assert _rows("""
            SELECT fundraiser_id, received_on, currency, state, amount_minor, count,
                base_amount_minor, unconverted FROM ledger_days""") == expected
    if "ledger_months" in appeared:
        host = _rows("""
            SELECT d.fundraiser_id, COALESCE((
                SELECT CASE WHEN COUNT(*) = 1 THEN MIN(h.collective_id) ELSE 0 END
                FROM fundraisers f JOIN screening_hosts h ON h.screening_id = f.screening_id
                WHERE f.id = d.fundraiser_id), 0) FROM ledger_days d""")
        assert any(collective for _fundraiser, collective in host)
        assert _rows("SELECT fundraiser_id, host_id FROM ledger_days") == host
        by_currency = """SELECT currency, state, received_month, host_id, SUM(amount_minor),
            SUM(count), SUM(base_amount_minor), SUM(unconverted) FROM {}
            GROUP BY currency, state, received_month, host_id"""
        days = _rows(by_currency.format("ledger_days"))
        assert days and _rows(by_currency.format("ledger_months")) == days
        by_state = """SELECT state, received_month, host_id, city_id, SUM(count),
            SUM(base_amount_minor), SUM(unconverted) FROM {}
            GROUP BY state, received_month, host_id, city_id"""
        assert _rows(by_state.format("ledger_month_bases")) == _rows(by_state.format("ledger_days"))


def _step(target: str, downgrade: bool, before: Snapshot, generation: int) -> Snapshot:
    """Migrate one step, check what survived, add a generation of rows; the new snapshot."""
    if downgrade:
        flask_migrate.downgrade(revision=target)
    else:
        flask_migrate.upgrade(revision=target)
    metadata = _reflect()
    after = _snapshot(metadata)
    step = f"{'downgrade' if downgrade else 'upgrade'} to {target}"
    _assert_kept(before, after, step)
    _assert_data_migrations(set(after) - set(before))
    _insert_generation(metadata, generation)
    return _snapshot(metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_app(request, tmp_path: Path):
    """An app on an empty database of its own: a SQLite file, or a scratch PostgreSQL one."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'round_trip.db'}"
        application = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        yield application
        with application.app_context():
            db.engine.dispose()
        return
    server = server_or_skip(only_in_pg_suite=True)
    with scratch_database(server, "migrations") as url:
        application = create_app("testing",
                                 SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False))
        yield application
        with application.app_context():
            db.engine.dispose()


def test_every_step_up_down_and_up_again_keeps_the_rows(scratch_app):
    with scratch_app.app_context():
        revisions = _revisions(scratch_app)
        assert len(revisions) >= 5
        snapshot: Snapshot = {}
        counts: dict[str, int] = defaultdict(int)
        plan = ([(rev, False) for rev in revisions]
                + [(rev, True) for rev in [*reversed(revisions[:-1]), "base"]]
                + [(rev, False) for rev in revisions])
        for generation, (target, downgrading) in enumerate(plan, start=1):
            snapshot = _step(target, downgrading, snapshot, generation)
            for name, rows in snapshot.items():
                counts[name] = max(counts[name], len(rows))
        # Every table of the models held rows at some point (so every one was exercised).
        assert all(counts[table] for table in db.metadata.tables), counts

        # No drift between the models and the migrated schema (what `flask db check` runs).
        command.check(scratch_app.extensions["migrate"].migrate.get_config())
