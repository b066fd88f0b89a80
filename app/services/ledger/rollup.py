"""Keeps ledger_days (sums per fundraiser, day, currency and state) and the month sums built
on them (months.py) in step with the contributions: a signed upsert on every write, a move
when a screening changes place, film, beneficiary or hosts, a rebuild from the raw rows after
bulk changes. Functions flush nothing of their own; they run in the caller's transaction."""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import and_, case, delete, event, func, inspect, literal, select, text, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import (
    City,
    Contribution,
    ContributionState,
    Fundraiser,
    LedgerDay,
    Screening,
    screening_hosts,
)
from .. import revisions
from . import months

KEY = ("fundraiser_id", "received_on", "currency", "state")
SUMS = ("amount_minor", "count", "base_amount_minor", "unconverted")


def base_currency() -> str:
    """The configured base currency (EUR unless BASE_CURRENCY says otherwise)."""
    return current_app.config["BASE_CURRENCY"]


@dataclass(frozen=True)
class Entry:
    """What one contribution adds to its ledger day (or takes away, with sign -1)."""

    fundraiser_id: int
    received_on: date
    currency: str
    state: ContributionState
    amount_minor: int
    base_amount_minor: int | None

    @classmethod
    def of(cls, contribution: Contribution, base: str) -> "Entry":
        """The contribution's figures as they stand; converted only if in today's base."""
        converted = (contribution.base_amount_minor is not None
                     and contribution.base_currency == base)
        return cls(contribution.fundraiser_id, contribution.received_on, contribution.currency,
                   ContributionState(contribution.state), contribution.amount_minor,
                   contribution.base_amount_minor if converted else None)


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _month(column):
    """'YYYY-MM' of a date column, on either database."""
    if _is_postgres():
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


DIMS = ("country_id", "city_id", "film_id", "beneficiary_id", "host_id")


def _host(screening_id):
    """The screening's only host collective, 0 when it has several (or none), as SQL."""
    return func.coalesce(
        select(case((func.count() == 1, func.min(screening_hosts.c.collective_id)),
                    else_=literal(0)))
        .where(screening_hosts.c.screening_id == screening_id).scalar_subquery(), 0)


def _dims(fundraiser_id: int) -> dict:
    """The screening's country, city, film, only host and the fundraiser's beneficiary."""
    row = db.session.execute(
        select(City.country_id, Screening.city_id, Screening.film_id, Fundraiser.beneficiary_id,
               _host(Screening.id))
        .select_from(Fundraiser).join(Screening, Fundraiser.screening_id == Screening.id)
        .join(City, Screening.city_id == City.id).where(Fundraiser.id == fundraiser_id)
    ).one()
    return dict(zip(DIMS, row, strict=True))


def apply(entry: Entry, sign: int) -> None:
    """Add (sign 1) or take away (sign -1) one contribution's figures, atomically."""
    revisions.touch(revisions.LEDGER, revisions.PUBLIC)
    delta = {
        "amount_minor": sign * entry.amount_minor, "count": sign,
        "base_amount_minor": sign * (entry.base_amount_minor or 0),
        "unconverted": sign if entry.base_amount_minor is None else 0,
    }
    key = [getattr(LedgerDay, name) == getattr(entry, name) for name in KEY]
    if sign < 0:
        # The day exists (the contribution was counted in it); a plain UPDATE takes it back,
        # from the month cell the day is counted in.
        dims = db.session.execute(select(*(getattr(LedgerDay, n) for n in DIMS)).where(*key)
                                  ).one()
        db.session.execute(update(LedgerDay).where(*key).values(
            {name: getattr(LedgerDay, name) + delta[name] for name in SUMS}))
        db.session.execute(delete(LedgerDay).where(*key, LedgerDay.count == 0))
        months.add([_cell(entry, dict(zip(DIMS, dims, strict=True)), delta)])
        return
    dims = _dims(entry.fundraiser_id)
    values = {
        **{name: getattr(entry, name) for name in KEY},
        "received_month": entry.received_on.strftime("%Y-%m"), **dims, **delta,
    }
    dialect = postgresql if _is_postgres() else sqlite
    statement = dialect.insert(LedgerDay).values(**values)
    # INSERT .. ON CONFLICT DO UPDATE adds in one statement: two writers never lose a sum.
    db.session.execute(statement.on_conflict_do_update(
        index_elements=list(KEY),
        set_={name: getattr(LedgerDay, name) + getattr(statement.excluded, name)
              for name in SUMS},
    ))
    months.add([_cell(entry, dims, delta)])


def _cell(entry: Entry, dims: dict, delta: dict) -> dict:
    """The month cell an entry is counted in, with its signed sums."""
    return {"received_month": entry.received_on.strftime("%Y-%m"), **dims,
            "currency": entry.currency, "state": entry.state, **delta}


def refile(fundraiser: Fundraiser) -> None:
    """Move a fundraiser's sums to its screening's current city, film, beneficiary and
    hosts: out of the month cells they were counted in, into the new ones."""
    refile_id(fundraiser.id)


def refile_id(fundraiser_id: int) -> None:
    """refile() by the fundraiser's id."""
    revisions.touch(revisions.LEDGER, revisions.PUBLIC)
    months.add(months.negated(months.cells_of(fundraiser_id)))
    db.session.execute(
        update(LedgerDay.__table__).where(LedgerDay.fundraiser_id == fundraiser_id)
        .values(**_dims(fundraiser_id))
    )
    months.add(months.cells_of(fundraiser_id))


@event.listens_for(Session, "after_flush")
def _refile_rehosted(session: Session, _flush_context) -> None:
    """A screening whose hosts changed moves its sums: the month cells carry the host."""
    moved = [s.id for s in session.dirty if isinstance(s, Screening)
             and inspect(s).attrs.collectives.history.has_changes()]
    if not moved:
        return
    for fundraiser_id in session.execute(
            select(Fundraiser.id).where(Fundraiser.screening_id.in_(moved))).scalars().all():
        refile_id(fundraiser_id)


def _lock() -> None:
    """On PostgreSQL, hold back concurrent upserts while sums are rebuilt from raw rows;
    they resume on commit and add to the rebuilt sums. SQLite writers are serial anyway."""
    if _is_postgres():
        db.session.execute(text("LOCK TABLE ledger_days IN SHARE ROW EXCLUSIVE MODE"))


def rebuild(*, fundraiser_ids: set[int] | None = None, currency: str | None = None,
            since: date | None = None, until: date | None = None) -> None:
    """Recompute the ledger days matching the conditions (all of them without any) by SQL."""
    revisions.touch(revisions.LEDGER, revisions.PUBLIC)
    _lock()
    day_conditions, raw_conditions = [], []
    for column_day, column_raw, value, op in (
        ("fundraiser_id", "fundraiser_id", fundraiser_ids, "in"),
        ("currency", "currency", currency, "eq"),
        ("received_on", "received_on", since, "ge"),
        ("received_on", "received_on", until, "lt"),
    ):
        if value is None:
            continue
        for model, name, bucket in ((LedgerDay, column_day, day_conditions),
                                    (Contribution, column_raw, raw_conditions)):
            column = getattr(model, name)
            bucket.append(column.in_(value) if op == "in" else column == value if op == "eq"
                          else column >= value if op == "ge" else column < value)
    db.session.execute(delete(LedgerDay).where(and_(true(), *day_conditions)))
    base = base_currency()
    converted = Contribution.base_amount_minor.is_not(None) & (Contribution.base_currency == base)
    host = _hosts()
    dims = (City.country_id, Screening.city_id, Screening.film_id, Fundraiser.beneficiary_id,
            func.coalesce(host.c.host_id, 0))
    summed = (
        select(
            Contribution.fundraiser_id, Contribution.received_on, Contribution.currency,
            Contribution.state, _month(Contribution.received_on), *dims,
            func.sum(Contribution.amount_minor), func.count(),
            func.sum(case((converted, Contribution.base_amount_minor), else_=literal(0))),
            func.sum(case((converted, literal(0)), else_=literal(1))),
        )
        .join(Fundraiser, Contribution.fundraiser_id == Fundraiser.id)
        .join(Screening, Fundraiser.screening_id == Screening.id)
        .join(City, Screening.city_id == City.id)
        .outerjoin(host, host.c.screening_id == Screening.id)
        .where(and_(true(), *raw_conditions))
        .group_by(Contribution.fundraiser_id, Contribution.received_on, Contribution.currency,
                  Contribution.state, *dims)
    )
    columns = [*KEY, "received_month", *DIMS, *SUMS]
    db.session.execute(LedgerDay.__table__.insert().from_select(columns, summed))
    months.rebuild(currency=currency, since=since, until=until)


def _hosts():
    """(screening_id, host_id): each screening's only host, 0 when it has several."""
    return (select(screening_hosts.c.screening_id,
                   case((func.count() == 1, func.min(screening_hosts.c.collective_id)),
                        else_=literal(0)).label("host_id"))
            .group_by(screening_hosts.c.screening_id).subquery())


def mismatches() -> list[tuple]:
    """Ledger days (sums, and where they are counted) that differ from a fresh sum of the
    contributions, then month cells that differ from the ledger days (empty when in step)."""
    base = base_currency()
    converted = Contribution.base_amount_minor.is_not(None) & (Contribution.base_currency == base)
    host = _hosts()
    dims = (City.country_id, Screening.city_id, Screening.film_id, Fundraiser.beneficiary_id,
            func.coalesce(host.c.host_id, 0))
    raw = {
        tuple(row[:4]): tuple(int(v) for v in row[4:])
        for row in db.session.execute(
            select(Contribution.fundraiser_id, Contribution.received_on, Contribution.currency,
                   Contribution.state, func.sum(Contribution.amount_minor), func.count(),
                   func.sum(case((converted, Contribution.base_amount_minor), else_=0)),
                   func.sum(case((converted, 0), else_=1)), *dims)
            .join(Fundraiser, Contribution.fundraiser_id == Fundraiser.id)
            .join(Screening, Fundraiser.screening_id == Screening.id)
            .join(City, Screening.city_id == City.id)
            .outerjoin(host, host.c.screening_id == Screening.id)
            .group_by(Contribution.fundraiser_id, Contribution.received_on,
                      Contribution.currency, Contribution.state, *dims)
        )
    }
    kept = {
        (row[0], row[1], row[2], str(row[3])): tuple(row[4:])
        for row in db.session.execute(select(
            *(getattr(LedgerDay, n) for n in KEY), *(getattr(LedgerDay, n) for n in SUMS),
            *(getattr(LedgerDay, n) for n in DIMS)))
    }
    raw = {(k[0], k[1], k[2], str(k[3])): v for k, v in raw.items()}
    cells = [dict(zip(SUMS, v[:4], strict=True)) | dict(zip(DIMS, v[4:], strict=True))
             | {"received_month": k[1].strftime("%Y-%m"), "currency": k[2], "state": k[3]}
             for k, v in raw.items()]
    return sorted((key, raw.get(key), kept.get(key)) for key in raw.keys() | kept.keys()
                  if raw.get(key) != kept.get(key)) + months.mismatches(cells)
