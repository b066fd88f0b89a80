"""What the backup tests share: a source with rows in every table, full table contents and
totals to compare, and apps on databases of their own (a SQLite file, a scratch PostgreSQL)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from app import create_app
from app.extensions import db
from app.models import (
    AuditEvent,
    Collective,
    Fundraiser,
    IdempotencyKey,
    ImportJob,
    Incident,
    IncidentKind,
    Invitation,
    PasswordReset,
    RecoveryCode,
    Screening,
    ScreeningChange,
    User,
)
from app.services import api_tokens, demo, ledger
from tests.conftest import make_user
from tests.scratch_db import server_or_skip

Contents = dict[str, list[tuple]]


def app_on(url: str):
    """An app of its own on the database at `url` (nothing created in it)."""
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, LEDGER_CACHE_SIZE=0)


@contextmanager
def inside(application) -> Iterator[None]:
    """Run in the app's context; close its connections afterwards."""
    with application.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


def tables(connection) -> list[str]:
    """The tables a database has."""
    return sorted(sa.inspect(connection).get_table_names())


def seed_every_table() -> None:
    """The demo tour (several currencies, rates, audit events) plus a row in each table the
    demo leaves empty, with the awkward values: bytes, JSON null beside SQL NULL, unicode."""
    demo.seed()
    db.session.commit()
    coordinator = db.session.scalar(sa.select(User).where(User.role == "coordinator"))
    organiser = make_user(email="ölga@example.org")
    collective = db.session.scalar(sa.select(Collective).order_by(Collective.id))
    screening = db.session.scalar(sa.select(Screening).order_by(Screening.id))
    api_tokens.create(organiser, "phone in Київ")
    later = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)
    db.session.add_all([
        Invitation(email="invitee@example.org", token_hash="a" * 64, expires_at=later,
                   collective=collective, invited_by=coordinator),
        PasswordReset(user=organiser, token_hash="b" * 64, expires_at=later),
        RecoveryCode(user_id=organiser.id, code_hash="c" * 64),
        Incident(screening_id=screening.id, kind=IncidentKind.THREAT,
                 description="Anonymous call to the venue", reported_by_id=organiser.id),
        ScreeningChange(screening_id=screening.id, kind="postponed",
                        from_starts_at=screening.starts_at,
                        to_starts_at=screening.starts_at + timedelta(days=7), note="rain"),
        IdempotencyKey(user_id=organiser.id, key="k-1", method="POST", path="/api/v1/x",
                       request_hash="d" * 64, status_code=201, response_body='{"id": 1}'),
        ImportJob(filename="past.xlsx", file_format="xlsx", content=bytes(range(256)),
                  total_rows=3, processed_rows=3),
    ])
    # An explicit JSON null beside SQL NULL: both must come back as they were.
    db.session.execute(AuditEvent.__table__.insert().values(
        action="test.json_null", object_type="test", before=sa.JSON.NULL, after=None,
        created_at=later, updated_at=later))
    db.session.commit()
    assert ledger.mismatches() == []


def every_table_has_rows(contents: Contents) -> list[str]:
    """The tables of `contents` that are empty (the source should have none)."""
    return [name for name, rows in contents.items() if not rows]


def contents() -> Contents:
    """Every row of every table (and alembic_version), JSON columns as their stored text."""
    found = {}
    for table in [*db.metadata.sorted_tables, sa.table("alembic_version",
                                                       sa.column("version_num"))]:
        columns = [sa.cast(c, sa.Text) if isinstance(c.type, sa.JSON) else c
                   for c in table.columns]
        rows = db.session.execute(sa.select(*columns)).all()
        found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return found


def figures() -> dict:
    """The money figures: totals, every breakdown, and raised per fundraiser."""
    ids = list(db.session.scalars(sa.select(Fundraiser.id)))
    return {
        "totals": ledger.totals(),
        **{f"by_{group}": ledger.breakdown(group) for group in ledger.GROUPINGS},
        "raised": ledger.raised_by_fundraiser(ids),
    }


def seed_new_rows_get_fresh_ids() -> None:
    """After a restore, new rows take ids after the restored ones (sequences were reset)."""
    highest = db.session.scalar(sa.select(sa.func.max(User.id)))
    user = User(email="after-restore@example.org", display_name="After", role="organiser")
    db.session.add(user)
    db.session.commit()
    assert user.id > highest


def backup_pg_server() -> URL:
    """The PostgreSQL server the SQLite -> PostgreSQL test restores into: BACKUP_TEST_PG_URL
    (its own database is the maintenance connection), else the suite's or the local default.
    Skipped when none answers, failed instead under REQUIRE_POSTGRES=1."""
    configured = os.environ.get("BACKUP_TEST_PG_URL")
    if not configured:
        return server_or_skip()
    url = make_url(configured)
    try:
        import psycopg

        with psycopg.connect(url.set(drivername="postgresql").render_as_string(
                hide_password=False), connect_timeout=3):
            return url
    except (ImportError, OSError, psycopg.Error) as exc:
        reason = f"no PostgreSQL answers at BACKUP_TEST_PG_URL ({exc.__class__.__name__})"
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


def today() -> date:
    """Today's date, for contributions recorded now."""
    return datetime.now(UTC).date()
