"""Amounts as integer minor units of an ISO 4217 currency; parsing and formatting them."""

import re
from decimal import Decimal
from fractions import Fraction
from functools import cache

from babel.lists import format_list
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
    parse_decimal,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

# Far above any real fundraiser, far below BIGINT: an amount past it is a typing mistake.
MAX_MINOR = 10**15 - 1

# Digits with at most one decimal separator; no signs, exponents or grouping.
_PLAIN_AMOUNT = re.compile(r"^[0-9]{1,15}(?:[.,][0-9]+)?$")


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
        raise MoneyError(_("%(code)s is not a known ISO 4217 currency.", code=code) if code
                         else _("An empty code is not a known ISO 4217 currency."))
    return code


def exponent(currency: str) -> int:
    """Digits after the decimal point in the currency (JPY 0, EUR 2, KWD 3)."""
    return get_currency_precision(check_currency(currency))


def _minor(value: Decimal, currency: str) -> int:
    """Minor units of a decimal amount; MoneyError if it has too many places or is too big."""
    places = exponent(currency)
    if -value.as_tuple().exponent > places:
        raise MoneyError(
            ngettext("%(currency)s amounts have %(num)s decimal place at most.",
                     "%(currency)s amounts have %(num)s decimal places at most.", places,
                     currency=currency)
            if places else _("%(currency)s amounts have no decimal places.", currency=currency)
        )
    minor = int(value.scaleb(places))
    if minor > MAX_MINOR:
        raise MoneyError(_("That amount is too large."))
    return minor


# Spaces people type between thousands, and the apostrophes of Swiss German.
_SPACES = frozenset(" \u00a0\u202f\u2009")
_APOSTROPHES = frozenset("'\u2019")


def _localised(cleaned: str, locale: str) -> Decimal | None:
    """The amount as written in the locale ("1.234,50" in Italian), or None if it is not
    well-formed there (Babel's strict mode checks the grouping)."""
    group, point = get_group_symbol(locale), get_decimal_symbol(locale)
    if group in _SPACES:
        cleaned = "".join(group if c in _SPACES else c for c in cleaned)
    elif group in _APOSTROPHES:
        cleaned = "".join(group if c in _APOSTROPHES else c for c in cleaned)
    if not all((c.isascii() and c.isdigit()) or c in (group, point) for c in cleaned):
        return None
    if not cleaned[0].isdigit() or not cleaned[-1].isdigit() or len(cleaned) > 40:
        return None
    try:
        return parse_decimal(cleaned, locale, strict=True)
    except NumberFormatError:
        return None


def parse(text: str, currency: str, locale: str | None = None) -> int:
    """Minor units for a typed amount; refuses anything malformed or ambiguous.

    Without a locale: digits with at most one decimal point or comma ("1234.50"), as the
    API and files use. With one, also what people type there: "1.234,50" in Italian,
    "1 234,50" in French, "1,234.50" in English. Text that both readings accept with
    different values ("1.234" KWD in Italian) is refused as ambiguous.
    """
    currency = check_currency(currency)
    cleaned = (text or "").strip()
    if not cleaned:
        raise MoneyError(_("Enter an amount."))
    if cleaned[0] in "-\u2212":
        raise MoneyError(_("The amount cannot be negative."))
    readings: list[Decimal] = []
    if locale:
        localised = _localised(cleaned, locale)
        if localised is not None:
            readings.append(localised)
    if _PLAIN_AMOUNT.match(cleaned):
        readings.append(Decimal(cleaned.replace(",", ".")))
    if not readings:
        example = format_decimal(Decimal("1234.5"), "#,##0.00", locale=locale) if locale \
            else "120.50"
        raise MoneyError(_("Enter the amount as digits, e.g. %(example)s.", example=example))
    results, first_error = [], None
    for value in readings:
        try:
            results.append(_minor(value, currency))
        except MoneyError as exc:
            first_error = first_error or exc
    if not results:
        raise first_error
    if len(set(results)) > 1:
        # "or" in the language of the message (the reader's), which may not be the typing one.
        shown = format_list([format_plain(minor, currency) for minor in sorted(set(results))],
                            style="or", locale=get_locale() or "en")
        raise MoneyError(_("\u201c%(text)s\u201d could mean %(amounts)s %(currency)s; write it "
                           "without a thousands separator.", text=cleaned, amounts=shown,
                           currency=currency))
    return results[0]


def to_decimal(minor: int, currency: str) -> Decimal:
    """The amount as a Decimal in major units, with the currency's number of places."""
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def format_plain(minor: int, currency: str) -> str:
    """The amount as a plain decimal string ("123.45"), as the API and exports use."""
    return str(to_decimal(minor, currency))


def format_input(minor: int, currency: str, locale: str | None = None) -> str:
    """The amount to prefill a form field: no grouping, the locale's decimal symbol
    ("1234,50" in Italian), so that parse() reads it back unambiguously."""
    plain = format_plain(minor, currency)
    return plain.replace(".", get_decimal_symbol(locale)) if locale else plain


def format_display(minor: int, currency: str, locale: str = "en") -> str:
    """The amount for people, in their locale ("€1,234.50", "1 234,50 €")."""
    return format_currency(to_decimal(minor, currency), currency, locale=locale)


def convert_to_base(amount_minor: int, currency: str, per_base: Decimal, base: str) -> int:
    """Base-currency minor units for an amount at a rate of `per_base` units per base unit.

    Rounded half-even to the base currency's minor unit.
    """
    if not per_base.is_finite() or per_base <= 0:
        raise MoneyError(_("An exchange rate must be greater than zero."))
    # Exact arithmetic, one rounding: a Decimal division would round to 28 digits first,
    # and a tie hidden past them would then round the wrong way.
    exact = (Fraction(amount_minor) * 10 ** exponent(base)
             / (Fraction(per_base) * 10 ** exponent(currency)))
    minor = round(exact)  # round() on a Fraction rounds half to even
    if minor > MAX_MINOR:
        raise MoneyError(_("Converted to %(base)s this amount would be too large to keep; "
                           "check the amount and the exchange rate.", base=base))
    return minor
