"""Exchange rates (units of a currency per one base-currency unit, valid from a day) and the
re-conversion of the contributions a rate change affects. Functions flush; the caller commits."""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from ..extensions import db
from ..models import Contribution, ExchangeRate, User, utcnow
from . import audit, money, revisions
from .errors import NotFound, ValidationFailed
from .ledger import rollup

# Numeric(20, 10): ten digits before the point, ten after; and at most 15 significant
# digits, which SQLite (a double underneath) keeps exactly.
MAX_PLACES = 10
MAX_SIGNIFICANT = 15
MAX_PER_BASE = Decimal(10) ** 10
SOURCES = ("form", "api", "import")


@dataclass(frozen=True)
class RatesWritten:
    """What a batch of rates did: rows created, changed, left as they were; re-conversions."""

    created: int
    updated: int
    unchanged: int
    reconverted: int


def parse_per_base(text: str | Decimal) -> Decimal:
    """A rate typed as a plain decimal ("4.2750"); MoneyError with a message otherwise."""
    if isinstance(text, Decimal):
        value = text
    else:
        cleaned = (text or "").strip()
        if not cleaned:
            raise money.MoneyError(_("Enter the rate."))
        if not cleaned.isascii() or not all(c.isdigit() or c == "." for c in cleaned):
            raise money.MoneyError(_("Enter the rate as digits with a decimal point, e.g. "
                                     "4.2750."))
        try:
            value = Decimal(cleaned)
        except InvalidOperation as exc:
            raise money.MoneyError(_("Enter the rate as digits with a decimal point.")) from exc
    if not value.is_finite() or value <= 0:
        raise money.MoneyError(_("A rate must be a number greater than zero."))
    if -value.as_tuple().exponent > MAX_PLACES:
        raise money.MoneyError(_("Use at most %(places)s decimal places.", places=MAX_PLACES))
    if len(value.normalize().as_tuple().digits) > MAX_SIGNIFICANT:
        raise money.MoneyError(_("Use at most %(digits)s significant digits.",
                                 digits=MAX_SIGNIFICANT))
    if value >= MAX_PER_BASE:
        raise money.MoneyError(_("That rate is too large."))
    return value


def round_rate(value: Decimal) -> Decimal:
    """A computed rate (a cross rate) rounded half-even to what a rate may hold: ten
    decimal places and fifteen significant digits."""
    exponent = max(-MAX_PLACES, value.adjusted() - (MAX_SIGNIFICANT - 1))
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN)


def check_rate(currency: str, valid_on: date | None, per_base, base: str,
               today: date) -> tuple[str, Decimal]:
    """The checked (currency, rate); ValidationFailed naming every field at fault."""
    errors: dict[str, str] = {}
    rate = Decimal(0)
    try:
        currency = money.check_currency(currency)
    except money.MoneyError as exc:
        errors["currency"] = str(exc)
    else:
        if currency == base:
            errors["currency"] = _("%(base)s is the base currency: its rate is always 1.",
                                   base=base)
    try:
        rate = parse_per_base(per_base)
    except money.MoneyError as exc:
        errors["per_base"] = str(exc)
    if valid_on is None:
        errors["valid_on"] = _("Enter the day the rate applies from.")
    elif valid_on > today:
        errors["valid_on"] = _("A rate cannot apply from a day that has not come yet.")
    if errors:
        raise ValidationFailed(errors)
    return currency, rate


def set_rates(entries: list[tuple[str, date, Decimal]], actor: User | None,
              source: str = "form", today: date | None = None) -> RatesWritten:
    """Create or change many rates, then re-convert what they affect, once per currency."""
    revisions.touch(revisions.LEDGER, revisions.PUBLIC)
    base, today = rollup.base_currency(), today or utcnow().date()
    # Columns and Core executemany, not ORM objects: an ECB history is 200,000 rates.
    current = {
        (currency, valid_on): (rate_id, per_base)
        for rate_id, currency, valid_on, per_base in db.session.execute(
            select(ExchangeRate.id, ExchangeRate.currency, ExchangeRate.valid_on,
                   ExchangeRate.per_base)
            .where(ExchangeRate.currency.in_({c for c, _, _ in entries})))
    }
    entered_by_id = actor.id if actor else None
    new_rows: dict[tuple[str, date], dict] = {}
    changed_rows: dict[int, dict] = {}
    created = updated = unchanged = 0
    earliest: dict[str, date] = {}
    for currency, valid_on, per_base in entries:
        currency, per_base = check_rate(currency, valid_on, per_base, base, today)
        key = (currency, valid_on)
        rate_id, old = current.get(key, (None, None))
        if old is not None and old == per_base:
            unchanged += 1
            continue
        row = {"per_base": per_base, "source": source, "entered_by_id": entered_by_id}
        if key not in current:
            new_rows[key] = {"currency": currency, "valid_on": valid_on, **row}
            created += 1
        elif rate_id is None:  # created earlier in this batch
            new_rows[key].update(row)
            updated += 1
        else:
            changed_rows[rate_id] = {"rate_id": rate_id, **row}
            updated += 1
        current[key] = (rate_id, per_base)
        earliest[currency] = min(valid_on, earliest.get(currency, valid_on))
    db.session.flush()
    table, now = ExchangeRate.__table__, utcnow()
    if new_rows:
        db.session.execute(table.insert(), [{**row, "created_at": now, "updated_at": now}
                                            for row in new_rows.values()])
    if changed_rows:
        db.session.execute(
            table.update().where(table.c.id == bindparam("rate_id")).values(
                per_base=bindparam("per_base"), source=bindparam("source"),
                entered_by_id=bindparam("entered_by_id"), updated_at=now),
            list(changed_rows.values()))
    if new_rows or changed_rows:
        db.session.expire_all()  # rates loaded before hold the old figures
    reconverted = sum(reconvert(currency, since=day) for currency, day in earliest.items())
    if created or updated:
        audit.record(actor, "rates.set", None, after={
            "source": source, "created": created, "updated": updated,
            "currencies": sorted(earliest), "reconverted": reconverted,
            **({"rate": f"{entries[0][0]} {entries[0][1]} {entries[0][2]}"}
               if len(entries) == 1 else {}),
        })
    return RatesWritten(created, updated, unchanged, reconverted)


def set_rate(currency: str, valid_on: date, per_base, actor: User | None,
             source: str = "form", today: date | None = None) -> tuple[ExchangeRate, int]:
    """Create or change one rate; returns it and how many contributions were re-converted."""
    written = set_rates([(currency, valid_on, per_base)], actor, source, today)
    rate = db.session.scalar(select(ExchangeRate).where(
        ExchangeRate.currency == currency.strip().upper(), ExchangeRate.valid_on == valid_on))
    return rate, written.reconverted


def get_rate(rate_id: int) -> ExchangeRate:
    """One rate, or NotFound."""
    rate = db.session.get(ExchangeRate, rate_id)
    if rate is None:
        raise NotFound(_("No such exchange rate."))
    return rate


def delete_rate(rate: ExchangeRate, actor: User) -> int:
    """Remove a rate; the contributions it converted fall back to the one before (if any)."""
    currency, valid_on, per_base = rate.currency, rate.valid_on, rate.per_base
    db.session.delete(rate)
    db.session.flush()
    reconverted = reconvert(currency, since=valid_on)
    audit.record(actor, "rates.delete", None, before={
        "currency": currency, "valid_on": valid_on, "per_base": per_base,
    }, after={"reconverted": reconverted})
    return reconverted


def rates_query(currency: str | None = None):
    """Rates, newest first, optionally of one currency."""
    query = select(ExchangeRate).order_by(ExchangeRate.valid_on.desc(), ExchangeRate.currency)
    if currency:
        query = query.where(ExchangeRate.currency == currency.strip().upper())
    return query


def _rate_table(currency: str) -> tuple[list[date], list[Decimal]]:
    days, values = [], []
    for valid_on, per_base in db.session.execute(
        select(ExchangeRate.valid_on, ExchangeRate.per_base)
        .where(ExchangeRate.currency == currency).order_by(ExchangeRate.valid_on)
    ):
        days.append(valid_on)
        values.append(per_base)
    return days, values


def reconvert(currency: str, since: date | None = None) -> int:
    """Convert again the contributions in `currency` received on or after `since` with the
    rates as they now stand; returns how many changed. Rebuilds their ledger days."""
    revisions.touch(revisions.LEDGER, revisions.PUBLIC)
    base = rollup.base_currency()
    query = select(Contribution.id, Contribution.amount_minor, Contribution.received_on,
                   Contribution.base_currency, Contribution.base_amount_minor,
                   Contribution.rate_per_base, Contribution.rate_valid_on
                   ).where(Contribution.currency == currency)
    if since is not None:
        query = query.where(Contribution.received_on >= since)
    # A currency without contributions (most of an ECB file) needs no rate table.
    if db.session.scalar(query.with_only_columns(Contribution.id).limit(1)) is None:
        return 0
    days, values = _rate_table(currency)
    changes, cache = [], {}
    for cid, amount, received_on, old_base, old_amount, old_rate, old_valid in (
        db.session.execute(query)
    ):
        if currency == base:
            new = (base, amount, Decimal(1), None)
        else:
            index = bisect_right(days, received_on) - 1
            if index < 0:
                new = (base, None, None, None)
            else:
                key = (amount, index)
                if key not in cache:
                    try:
                        cache[key] = money.convert_to_base(amount, currency, values[index],
                                                           base)
                    except money.MoneyError as exc:
                        raise ValidationFailed({"per_base": _(
                            "At this rate contribution %(cid)s would be worth more %(base)s "
                            "than can be kept; check the rate.", cid=cid, base=base)}) from exc
                new = (base, cache[key], values[index], days[index])
        old = (old_base, old_amount,
               None if old_rate is None else Decimal(old_rate), old_valid)
        if new != old:
            changes.append({"cid": cid, "b_cur": new[0], "b_amt": new[1], "b_rate": new[2],
                            "b_on": new[3]})
    if changes:
        table = Contribution.__table__
        # Core executemany: one statement for all rows, not one ORM flush per contribution.
        db.session.execute(
            table.update().where(table.c.id == bindparam("cid")).values(
                base_currency=bindparam("b_cur"), base_amount_minor=bindparam("b_amt"),
                rate_per_base=bindparam("b_rate"), rate_valid_on=bindparam("b_on")),
            changes,
        )
        rollup.rebuild(currency=currency, since=since)
        db.session.expire_all()  # loaded contributions hold the old figures
    return len(changes)


def reconvert_all(actor: User | None) -> int:
    """Convert every contribution again, e.g. after BASE_CURRENCY changed; audited."""
    currencies = db.session.scalars(select(Contribution.currency).distinct()).all()
    changed = sum(reconvert(currency) for currency in currencies)
    rollup.rebuild()
    audit.record(actor, "rates.reconvert_all", None,
                 after={"base": rollup.base_currency(), "reconverted": changed})
    return changed


def base_mismatch() -> int:
    """How many contributions were converted to another base than the configured one."""
    return db.session.scalar(select(func.count(Contribution.id)).where(
        Contribution.base_currency.is_not(None),
        Contribution.base_currency != rollup.base_currency())) or 0


def known_currencies_in_use() -> list[str]:
    """Currencies that have contributions or rates, for pickers."""
    used = db.session.scalars(select(Contribution.currency).union(select(ExchangeRate.currency)))
    return sorted(set(used))
