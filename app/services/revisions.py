"""Revision counters: raised in the same transaction as each change to public or ledger data,
read by caches so that every worker and instance drops a stale copy at once."""

from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import (
    Beneficiary,
    City,
    Collective,
    Contribution,
    Country,
    ExchangeRate,
    Film,
    Fundraiser,
    LedgerDay,
    Screening,
    ScreeningChange,
    Venue,
)
from ..models.ops import Revision

# What the public pages, feeds and API show: screenings and everything named on them.
PUBLIC = "public"
# What the money dashboards add up.
LEDGER = "ledger"

SCOPES_BY_MODEL: dict[type, tuple[str, ...]] = {
    Screening: (LEDGER, PUBLIC),
    ScreeningChange: (PUBLIC,),
    Venue: (PUBLIC,),
    Fundraiser: (LEDGER, PUBLIC),
    Contribution: (LEDGER, PUBLIC),  # a screening page shows what its fundraiser raised
    LedgerDay: (LEDGER, PUBLIC),
    ExchangeRate: (LEDGER, PUBLIC),
    Film: (LEDGER, PUBLIC),
    Beneficiary: (LEDGER, PUBLIC),
    Collective: (LEDGER, PUBLIC),
    City: (LEDGER, PUBLIC),
    Country: (LEDGER, PUBLIC),
}

# session.info key: the scopes already raised in the session's current transaction.
_RAISED = "revisions_raised"


def current(scope: str) -> int:
    """The committed revision of a scope (0 before its first change)."""
    value = db.session.execute(
        sa.select(Revision.value).where(Revision.scope == scope)
    ).scalar_one_or_none()
    return value or 0


def current_all() -> dict[str, int]:
    """Every scope's revision in one query."""
    return dict(db.session.execute(sa.select(Revision.scope, Revision.value)).all())


def touch(*scopes: str, session: Session | None = None) -> None:
    """Raise these scopes' revisions in the current transaction (for changes made with core
    statements, which the flush listener does not see). Call it before taking table locks,
    so that every transaction locks the counters first and none can deadlock on them."""
    _raise(session or db.session(), scopes)


def _raise(session: Session, scopes) -> None:
    raised = session.info.setdefault(_RAISED, set())
    todo = sorted(set(scopes) - raised)  # sorted: every transaction locks rows in one order
    if not todo:
        return
    connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(Revision.__table__).values([{"scope": s, "value": 1} for s in todo])
    # An upsert: the rows need not exist (a new or emptied database) and two first writers
    # cannot both insert.
    statement = statement.on_conflict_do_update(
        index_elements=["scope"], set_={"value": Revision.__table__.c.value + 1}
    )
    connection.execute(statement)
    raised.update(todo)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context) -> None:
    """Raise the revisions of whatever this flush wrote (new, changed or deleted rows)."""
    scopes: set[str] = set()
    for instance in chain(session.new, session.dirty, session.deleted):
        found = SCOPES_BY_MODEL.get(type(instance))
        if found and (instance not in session.dirty or session.is_modified(instance)):
            scopes.update(found)
    if scopes:
        _raise(session, scopes)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    # A flush runs in a subtransaction of its own: its end is not the transaction's. A
    # rolled-back savepoint takes its raise with it, so a savepoint's end forgets too:
    # forgetting too often only means raising again, too rarely would miss a change.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_RAISED, None)
