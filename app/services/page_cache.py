"""What a cached public answer depends on besides its URL: the public revision (a write
anywhere, in any instance) and the next moment the clock alone changes a public page."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import PUBLIC_STATUSES, Screening, Venue
from ..models.ops import Revision
from .revisions import _RAISED, PUBLIC
from .screenings.queries import RUNNING_GRACE

# A random number kept beside the counter. Emptying the table (a restore into an empty
# database, the test suite's clean-up) starts the counter again from 0, so the same value
# could come back with other data: the first public write after that draws a new epoch, and
# until then (no epoch) nothing is cached.
EPOCH = "public-epoch"
# Two plain parameters, not an IN list: an expanding IN costs a quarter of a cache hit.
_REVISION = sa.select(Revision.scope, Revision.value).where(
    sa.or_(Revision.scope == PUBLIC, Revision.scope == EPOCH))
# session.info key: the epoch was made sure of in the session's current transaction.
_ENSURED = "page_cache_epoch"


def revision(connection: Connection) -> tuple[int, int] | None:
    """(epoch, value) of the public revision in one primary-key lookup; None without an
    epoch (nothing may be cached then)."""
    return revision_from(connection.execute(_REVISION).all())


def revision_sql(dialect) -> str:
    """The revision lookup as plain SQL for this dialect (its values are our constants), for
    a caller that runs it on a DBAPI connection of its own."""
    return str(_REVISION.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def revision_from(rows) -> tuple[int, int] | None:
    """(epoch, value) from the lookup's (scope, value) rows."""
    found = dict(rows)
    if EPOCH not in found:
        return None
    return found[EPOCH], found.get(PUBLIC) or 0


def known_revision() -> tuple[int, int] | None:
    """The same, read in the session's transaction."""
    return revision(db.session.connection())


def ensure_epoch(connection: Connection) -> None:
    """Draw the epoch unless there is one (a no-op then); in the caller's transaction."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(insert(Revision.__table__).values(
        scope=EPOCH, value=secrets.randbelow(2**62) + 1).on_conflict_do_nothing())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context) -> None:
    """With the transaction's first raise of the public revision, make sure of the epoch.
    (Registered after revisions.py's listener, which sets what this reads.)"""
    if PUBLIC in session.info.get(_RAISED, ()) and not session.info.get(_ENSURED):
        ensure_epoch(session.connection())
        session.info[_ENSURED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None or transaction.nested:
        session.info.pop(_ENSURED, None)


def next_change(connection: Connection, now: datetime) -> datetime | None:
    """The earliest moment after `now` at which a public page may change with no write: a
    public screening starts, stops being upcoming (RUNNING_GRACE after its start), or a venue's
    address is released. None when no such moment is ahead."""
    public = Screening.status.in_(PUBLIC_STATUSES)
    starts = sa.select(sa.func.min(Screening.starts_at)).where(
        public, Screening.starts_at > now).scalar_subquery()
    # The first start whose grace has not run out: it leaves the upcoming lists at start+grace.
    leaves = sa.select(sa.func.min(Screening.starts_at)).where(
        public, Screening.starts_at > now - RUNNING_GRACE).scalar_subquery()
    # Every venue, not only those of public screenings: an earlier expiry is merely a miss.
    released = sa.select(sa.func.min(Venue.address_release_at)).where(
        Venue.address_release_at > now).scalar_subquery()
    row = connection.execute(sa.select(
        sa.type_coerce(starts, Screening.starts_at.type),
        sa.type_coerce(leaves, Screening.starts_at.type),
        sa.type_coerce(released, Venue.address_release_at.type))).one()
    moments = [row[0], row[1] + RUNNING_GRACE if row[1] is not None else None, row[2]]
    moments = [m for m in moments if m is not None and m > now]
    return min(moments) if moments else None
