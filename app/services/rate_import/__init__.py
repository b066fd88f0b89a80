"""Exchange rates from the European Central Bank's files: parse (ecb.py), preview without
writing, import; and what the rates page shows."""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, select

from ...extensions import db
from ...models import Contribution, ExchangeRate, User, utcnow
from .. import money, rates
from ..ledger import rollup
from .ecb import MAX_PROBLEMS, ImportRefused, ParsedRates, parse

__all__ = ["MAX_PROBLEMS", "CurrentRate", "ImportRefused", "ImportReport", "ParsedRates",
           "current_rates", "entered_by", "import_file", "parse", "preview", "rate_text"]


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or would do in a dry run."""

    parsed: ParsedRates
    written: rates.RatesWritten
    dry_run: bool


def preview(entries: list[tuple[str, date, Decimal]]) -> rates.RatesWritten:
    """What rates.set_rates would do with checked entries, worked out without writing."""
    base = rollup.base_currency()
    tables: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for currency, valid_on, per_base in db.session.execute(
        select(ExchangeRate.currency, ExchangeRate.valid_on, ExchangeRate.per_base)
        .where(ExchangeRate.currency.in_({c for c, _, _ in entries}))
    ):
        tables[currency][valid_on] = per_base
    created = updated = unchanged = 0
    earliest: dict[str, date] = {}
    for currency, valid_on, per_base in entries:
        old = tables[currency].get(valid_on)
        if old is not None and old == per_base:
            unchanged += 1
            continue
        created, updated = (created + 1, updated) if old is None else (created, updated + 1)
        tables[currency][valid_on] = per_base
        earliest[currency] = min(valid_on, earliest.get(currency, valid_on))
    reconverted = sum(_would_reconvert(c, tables[c], since, base) for c, since in
                      earliest.items())
    return rates.RatesWritten(created, updated, unchanged, reconverted)


def _would_reconvert(currency: str, table: dict[date, Decimal], since: date, base: str) -> int:
    """How many contributions rates.reconvert(currency, since) would change with `table`."""
    days = sorted(table)
    values = [table[d] for d in days]
    changed, cache = 0, {}
    for amount, received_on, old_base, old_amount, old_rate, old_valid in db.session.execute(
        select(Contribution.amount_minor, Contribution.received_on, Contribution.base_currency,
               Contribution.base_amount_minor, Contribution.rate_per_base,
               Contribution.rate_valid_on)
        .where(Contribution.currency == currency, Contribution.received_on >= since)
    ):
        index = bisect_right(days, received_on) - 1
        if index < 0:
            new = (base, None, None, None)
        else:
            if (amount, index) not in cache:
                cache[amount, index] = money.convert_to_base(amount, currency, values[index],
                                                             base)
            new = (base, cache[amount, index], values[index], days[index])
        old = (old_base, old_amount, None if old_rate is None else Decimal(old_rate), old_valid)
        changed += new != old
    return changed


def import_file(data: bytes, actor: User | None, dry_run: bool = False,
                today: date | None = None) -> ImportReport:
    """Parse an ECB file and write its rates (source "import"), or only say what it would do.

    All or nothing: a fault anywhere raises ImportRefused before anything is written.
    """
    today = today or utcnow().date()
    parsed = parse(data, rollup.base_currency(), today)
    if dry_run:
        return ImportReport(parsed, preview(parsed.entries), dry_run=True)
    written = rates.set_rates(parsed.entries, actor, source="import", today=today)
    return ImportReport(parsed, written, dry_run=False)


# --- for the rates page ----------------------------------------------------------------------


def rate_text(value: Decimal) -> str:
    """A rate without the trailing zeros of its ten stored places ("4.275", "162.35")."""
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class CurrentRate:
    """A currency in use: its latest rate (if any) and its contributions."""

    currency: str
    rate: ExchangeRate | None
    contributions: int
    unconverted: int


def current_rates() -> list[CurrentRate]:
    """The latest rate of every currency that has rates or contributions (but the base)."""
    latest = (select(ExchangeRate.currency, func.max(ExchangeRate.valid_on).label("day"))
              .group_by(ExchangeRate.currency).subquery())
    newest = {r.currency: r for r in db.session.scalars(select(ExchangeRate).join(
        latest, and_(ExchangeRate.currency == latest.c.currency,
                     ExchangeRate.valid_on == latest.c.day)))}
    counts = {currency: (count, unconverted) for currency, count, unconverted in
              db.session.execute(select(
                  Contribution.currency, func.count(Contribution.id),
                  func.count(case((Contribution.base_amount_minor.is_(None), 1))))
                  .group_by(Contribution.currency))}
    base = rollup.base_currency()
    return [CurrentRate(c, newest.get(c), *counts.get(c, (0, 0)))
            for c in sorted(set(newest) | set(counts)) if c != base]


def entered_by(items: list[ExchangeRate]) -> dict[int, str]:
    """The email of whoever entered each rate, by user id, in one query."""
    ids = {r.entered_by_id for r in items if r.entered_by_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
