"""Amounts as integer minor units of an ISO 4217 currency; parsing and formatting them."""

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

# Far above any real fundraiser, far below BIGINT: an amount past it is a typing mistake.
MAX_MINOR = 10**15 - 1

# Digits with at most one decimal separator; no signs, exponents or grouping.
_PLAIN_AMOUNT = re.compile(r"^\d{1,15}(?:[.,]\d+)?$")


class MoneyError(ValueError):
    """Text that is not an acceptable amount; the message is safe to show."""


@cache
def known_currencies() -> frozenset[str]:
    """Every ISO 4217 code Babel knows."""
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    """The upper-case code, or MoneyError if it is not a known ISO 4217 currency."""
    code = (code or "").strip().upper()
    if code not in known_currencies():
        raise MoneyError(f"{code or 'An empty code'} is not a known ISO 4217 currency.")
    return code


def exponent(currency: str) -> int:
    """Digits after the decimal point in the currency (JPY 0, EUR 2, KWD 3)."""
    return get_currency_precision(check_currency(currency))


def parse(text: str, currency: str) -> int:
    """Minor units for a typed amount such as "12.34" or "12,34"; refuses anything ambiguous."""
    currency = check_currency(currency)
    cleaned = (text or "").strip()
    if not cleaned:
        raise MoneyError("Enter an amount.")
    if cleaned.startswith("-"):
        raise MoneyError("The amount cannot be negative.")
    if not _PLAIN_AMOUNT.match(cleaned):
        raise MoneyError("Enter the amount as digits with an optional decimal point, e.g. 120.50.")
    value = Decimal(cleaned.replace(",", "."))
    places = exponent(currency)
    if -value.as_tuple().exponent > places:
        raise MoneyError(
            f"{currency} amounts have {places} decimal places at most."
            if places else f"{currency} amounts have no decimal places."
        )
    minor = int(value.scaleb(places))
    if minor > MAX_MINOR:
        raise MoneyError("That amount is too large.")
    return minor


def to_decimal(minor: int, currency: str) -> Decimal:
    """The amount as a Decimal in major units, with the currency's number of places."""
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def format_plain(minor: int, currency: str) -> str:
    """The amount as a plain decimal string ("123.45"), as the API and exports use."""
    return str(to_decimal(minor, currency))


def format_display(minor: int, currency: str, locale: str = "en") -> str:
    """The amount for people, in their locale ("€1,234.50", "1 234,50 €")."""
    return format_currency(to_decimal(minor, currency), currency, locale=locale)


def convert_to_base(amount_minor: int, currency: str, per_base: Decimal, base: str) -> int:
    """Base-currency minor units for an amount at a rate of `per_base` units per base unit.

    Rounded half-even to the base currency's minor unit.
    """
    if per_base <= 0:
        raise MoneyError("An exchange rate must be greater than zero.")
    try:
        major = to_decimal(amount_minor, currency) / per_base
    except InvalidOperation as exc:  # pragma: no cover - guarded above
        raise MoneyError("The exchange rate cannot be used.") from exc
    places = exponent(base)
    return int(major.scaleb(places).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
