"""JSON items: amounts as decimal strings, dates ISO 8601, timestamps with their UTC offset."""

from datetime import date, datetime
from decimal import Decimal

from ..models import Contribution, ExchangeRate
from ..services import money


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def decimal_string(value: Decimal | None) -> str | None:
    """A decimal without exponent or trailing zeros ("4.275", "1"), or None."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return text


def amount(minor: int | None, currency: str | None) -> dict | None:
    """{"amount": "12.50", "currency": "EUR"}, or None without an amount."""
    if minor is None or currency is None:
        return None
    return {"amount": money.format_plain(minor, currency), "currency": currency}


def contribution(item: Contribution) -> dict:
    """A contribution as the API shows it; base and rate are null while unconverted."""
    converted = item.base_amount_minor is not None and item.base_currency is not None
    return {
        "id": item.id,
        "amount": money.format_plain(item.amount_minor, item.currency),
        "currency": item.currency,
        "received_on": iso(item.received_on),
        "channel": str(item.channel),
        "state": str(item.state),
        "base": amount(item.base_amount_minor, item.base_currency) if converted else None,
        # A contribution in the base currency itself used no rate table entry: per_base "1".
        "rate": {"per_base": decimal_string(item.rate_per_base),
                 "valid_on": iso(item.rate_valid_on)} if converted else None,
        "transfer_reference": item.transfer_reference,
        "transferred_on": iso(item.transferred_on),
        "confirmed_at": iso(item.confirmed_at),
        "created_at": iso(item.created_at),
    }


def rate(item: ExchangeRate) -> dict:
    """An exchange rate: units of the currency per one base unit, from valid_on."""
    return {
        "id": item.id,
        "currency": item.currency,
        "valid_on": iso(item.valid_on),
        "per_base": decimal_string(item.per_base),
        "source": item.source,
        "created_at": iso(item.created_at),
    }
