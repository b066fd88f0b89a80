"""Keeps the month sums (ledger_months, ledger_month_bases) in step with ledger_days: the same
signed upserts on every write, the same moves when a fundraiser is refiled, rebuilt from the
day sums after bulk changes. Functions run in the caller's transaction and flush nothing."""

from datetime import date, timedelta

from sqlalchemy import and_, bindparam, delete, func, select, text, true, update
from sqlalchemy.dialects import postgresql, sqlite

from ...extensions import db
from ...models import LedgerDay
from ...models.ledger import LedgerMonth, LedgerMonthBase

TABLES = (LedgerMonth, LedgerMonthBase)
# The month key besides the currency and state; country_id rides along (a city's country).
DIMS = ("received_month", "host_id", "city_id", "film_id", "beneficiary_id")
SUMS = ("count", "base_amount_minor", "unconverted")


def key(model) -> tuple[str, ...]:
    """The primary key columns of a month table, in a fixed order."""
    return (*DIMS, *(("currency",) if model is LedgerMonth else ()), "state")


def sums(model) -> tuple[str, ...]:
    """The summed columns of a month table."""
    return (("amount_minor",) if model is LedgerMonth else ()) + SUMS


def _fold(model, cells: list[dict]) -> list[dict]:
    """Cells (ledger days' sums with their dimensions) summed to the key of `model`."""
    folded: dict[tuple, dict] = {}
    for cell in cells:
        row = folded.setdefault(tuple(cell[name] for name in key(model)),
                                {name: cell[name] for name in (*key(model), "country_id")}
                                | dict.fromkeys(sums(model), 0))
        for name in sums(model):
            row[name] += cell[name]
    return list(folded.values())


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def add(cells: list[dict]) -> None:
    """Add signed cells (ledger_months keys with country_id and sums) to both tables, then
    drop the cells that fell to zero contributions."""
    if not cells:
        return
    dialect = postgresql if _is_postgres() else sqlite
    for model in TABLES:
        table = model.__table__
        rows = [{name: cell[name] for name in (*key(model), "country_id", *sums(model))}
                for cell in _fold(model, cells)]
        added = [row for row in rows if row["count"] > 0]
        if added:
            statement = dialect.insert(table)
            # INSERT .. ON CONFLICT DO UPDATE adds in one statement: no writer loses a sum.
            db.session.execute(statement.on_conflict_do_update(
                index_elements=list(key(model)),
                set_={name: table.c[name] + statement.excluded[name] for name in sums(model)},
            ), added)
        # Taken away from cells that exist (they counted it); a CHECK would refuse the
        # negative row an upsert proposes first.
        taken = [{f"k_{name}": row[name] for name in key(model)}
                 | {f"d_{name}": row[name] for name in sums(model)}
                 for row in rows if row["count"] < 0]
        if taken:
            match = [table.c[name] == bindparam(f"k_{name}") for name in key(model)]
            db.session.execute(update(table).where(*match).values(
                {name: table.c[name] + bindparam(f"d_{name}") for name in sums(model)}), taken)
            db.session.execute(delete(table).where(table.c.count == 0, *match), taken)


def cells_of(fundraiser_id: int) -> list[dict]:
    """A fundraiser's ledger days summed to the month cells they are counted in."""
    columns = [*(getattr(LedgerDay, n) for n in (*DIMS, "country_id", "currency", "state"))]
    rows = db.session.execute(
        select(*columns, *(func.sum(getattr(LedgerDay, n))
                           for n in ("amount_minor", *SUMS)))
        .where(LedgerDay.fundraiser_id == fundraiser_id).group_by(*columns)
    ).all()
    names = (*DIMS, "country_id", "currency", "state", "amount_minor", *SUMS)
    return [dict(zip(names, row, strict=True)) for row in rows]


def negated(cells: list[dict]) -> list[dict]:
    """The same cells with every sum taken away."""
    return [cell | {name: -int(cell[name]) for name in ("amount_minor", *SUMS)}
            for cell in cells]


def lock() -> None:
    """On PostgreSQL, hold back concurrent upserts while the month sums are rebuilt."""
    if _is_postgres():
        db.session.execute(text(
            "LOCK TABLE ledger_months, ledger_month_bases IN SHARE ROW EXCLUSIVE MODE"))


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def rebuild(*, currency: str | None = None, since: date | None = None,
            until: date | None = None) -> None:
    """Recompute the month cells covering the conditions from ledger_days (whole months:
    the days around `since` and `until` are already in step)."""
    lock()
    for model in TABLES:
        table = model.__table__
        month_where, day_where = [], []
        if since is not None:
            month_where.append(table.c.received_month >= _month(since))
            day_where.append(LedgerDay.received_month >= _month(since))
        if until is not None:  # exclusive, like ledger rebuild's
            last = _month(until - timedelta(days=1))
            month_where.append(table.c.received_month <= last)
            day_where.append(LedgerDay.received_month <= last)
        if currency is not None:
            # ledger_month_bases mixes currencies: its cells are recomputed whole.
            if model is LedgerMonth:
                month_where.append(table.c.currency == currency)
            day_where.append(LedgerDay.currency == currency)
        db.session.execute(delete(table).where(and_(true(), *month_where)))
        grouped = [getattr(LedgerDay, n) for n in (*key(model), "country_id")]
        if model is LedgerMonthBase and currency is not None:
            day_where = day_where[:-1]  # every currency of the cells it touched
        db.session.execute(table.insert().from_select(
            [*key(model), "country_id", *sums(model)],
            select(*grouped, *(func.sum(getattr(LedgerDay, n)) for n in sums(model)))
            .where(and_(true(), *day_where)).group_by(*grouped)))


def mismatches(fresh_cells: list[dict]) -> list[tuple]:
    """Month cells that differ from `fresh_cells` (a fresh sum of the contributions, keyed
    like ledger_months), as ((table, *key), fresh sums, kept sums); empty when in step."""
    found = []
    for model in TABLES:
        fresh = {tuple(str(row[n]) for n in (*key(model), "country_id")):
                 tuple(int(row[n]) for n in sums(model)) for row in _fold(model, fresh_cells)}
        kept = {tuple(str(v) for v in row[:-len(sums(model))]): tuple(row[-len(sums(model)):])
                for row in db.session.execute(select(
                    *(getattr(model, n) for n in (*key(model), "country_id", *sums(model)))))}
        found += sorted(((model.__tablename__, *k), fresh.get(k), kept.get(k))
                        for k in fresh.keys() | kept.keys() if fresh.get(k) != kept.get(k))
    return found
