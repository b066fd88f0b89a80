"""Money helpers: parsing typed amounts into minor units, formatting them, and converting."""

from decimal import Decimal

import pytest

from app.services import money


@pytest.fixture(autouse=True)
def _app_context(app):
    """These tests touch no database: an app context without conftest's per-test emptying.

    (Emptying every table costs about 0.1 s a test on PostgreSQL, and there is nothing to empty.)
    """
    with app.app_context():
        yield


# --- currencies and exponents ---------------------------------------------------------


@pytest.mark.parametrize(
    "currency, places",
    [("JPY", 0), ("EUR", 2), ("PLN", 2), ("SEK", 2), ("DKK", 2), ("CAD", 2), ("UAH", 2),
     ("KWD", 3), ("BHD", 3)],
)
def test_exponent_is_the_currencys_number_of_decimal_places(currency, places):
    assert money.exponent(currency) == places


@pytest.mark.parametrize("code, expected", [("EUR", "EUR"), ("eur", "EUR"), (" pln ", "PLN"),
                                            ("\tkwd\n", "KWD")])
def test_check_currency_upper_cases_and_strips(code, expected):
    assert money.check_currency(code) == expected


@pytest.mark.parametrize("code", ["XYZ", "eu", "EU", "", "   ", None, "EURO", "E1R", "€"])
def test_check_currency_refuses_unknown_codes(code):
    with pytest.raises(money.MoneyError, match="not a known ISO 4217 currency"):
        money.check_currency(code)


def test_check_currency_names_an_empty_code_in_its_message():
    with pytest.raises(money.MoneyError, match="An empty code"):
        money.check_currency("")


def test_exponent_refuses_an_unknown_currency():
    with pytest.raises(money.MoneyError):
        money.exponent("XYZ")


def test_money_error_is_a_value_error():
    assert issubclass(money.MoneyError, ValueError)


# --- parse / format round trips ---------------------------------------------------------


@pytest.mark.parametrize(
    "currency, text, minor",
    [
        ("JPY", "0", 0),
        ("JPY", "500", 500),
        ("JPY", "123456789", 123456789),
        ("EUR", "12.34", 1234),
        ("EUR", "0.01", 1),
        ("EUR", "1000000.00", 100000000),
        ("PLN", "120.50", 12050),
        ("SEK", "99.99", 9999),
        ("DKK", "7.05", 705),
        ("CAD", "0.10", 10),
        ("UAH", "15000.00", 1500000),
        ("KWD", "1.234", 1234),
        ("KWD", "0.005", 5),
        ("BHD", "250.500", 250500),
    ],
)
def test_amounts_round_trip_in_minor_units(currency, text, minor):
    assert money.parse(text, currency) == minor
    assert money.format_plain(minor, currency) == text


@pytest.mark.parametrize("currency", ["JPY", "EUR", "PLN", "SEK", "DKK", "CAD", "UAH", "KWD",
                                      "BHD"])
@pytest.mark.parametrize("minor", [1, 7, 10, 99, 100, 12345, 100000, 987654321])
def test_format_then_parse_gives_back_the_same_minor_units(currency, minor):
    assert money.parse(money.format_plain(minor, currency), currency) == minor


@pytest.mark.parametrize(
    "currency, text, minor",
    [
        ("EUR", "12", 1200),
        ("EUR", "12.3", 1230),
        ("EUR", "12,34", 1234),
        ("EUR", "0012.30", 1230),
        ("KWD", "1.2", 1200),
        ("KWD", "1", 1000),
        ("PLN", "120,5", 12050),
    ],
)
def test_parse_accepts_fewer_places_and_a_decimal_comma(currency, text, minor):
    assert money.parse(text, currency) == minor


@pytest.mark.parametrize("text", [" 12.34", "12.34 ", "\t12.34\n", "  12,34  "])
def test_parse_ignores_surrounding_whitespace(text):
    assert money.parse(text, "EUR") == 1234


def test_parse_upper_cases_the_currency():
    assert money.parse("1.234", "kwd") == 1234


def test_parse_returns_an_int():
    assert type(money.parse("12.34", "EUR")) is int
    assert type(money.parse("5", "JPY")) is int


@pytest.mark.parametrize("currency, text", [("JPY", "999999999999999"),
                                            ("EUR", "9999999999999.99"),
                                            ("KWD", "999999999999.999")])
def test_the_largest_amount_is_accepted(currency, text):
    assert money.parse(text, currency) == 10**15 - 1


@pytest.mark.parametrize("currency, text", [("EUR", "10000000000000"), ("EUR", "9" * 15),
                                            ("KWD", "1000000000000"), ("JPY", "1" * 16)])
def test_an_amount_beyond_the_limit_is_refused(currency, text):
    with pytest.raises(money.MoneyError):
        money.parse(text, currency)


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1e5", "1E5", "NaN", "nan", "inf", "Infinity", "-inf",
        "1,234.50", "1.234,50", "1.234.50", "1,234,50",
        "abc", "12a", "a12", "€12", "12€", "12 EUR", "12 34", "1_000", "+12",
        "12.", ".5", ",5", "0x10",
        "1" * 16, "9" * 1000, "1" * 5000 + ".00",
    ],
)
def test_parse_refuses_anything_but_plain_digits(text):
    with pytest.raises(money.MoneyError):
        money.parse(text, "EUR")


@pytest.mark.parametrize("text", ["-1", "-0.01", " -12.34", "-0"])
def test_parse_refuses_negative_amounts(text):
    with pytest.raises(money.MoneyError, match="negative"):
        money.parse(text, "EUR")


@pytest.mark.parametrize("text", ["", "   ", "\n", None])
def test_parse_refuses_an_empty_amount(text):
    with pytest.raises(money.MoneyError, match="Enter an amount"):
        money.parse(text, "EUR")


@pytest.mark.parametrize("currency, text", [("EUR", "12.345"), ("EUR", "0.001"),
                                            ("PLN", "1,999"), ("KWD", "1.2345"),
                                            ("EUR", "1." + "0" * 1000)])
def test_parse_refuses_too_many_decimal_places(currency, text):
    with pytest.raises(money.MoneyError, match="decimal places at most"):
        money.parse(text, currency)


@pytest.mark.parametrize("text", ["500.5", "500.0", "1,5", "0.1"])
def test_parse_refuses_decimals_in_a_currency_without_them(text):
    with pytest.raises(money.MoneyError, match="JPY amounts have no decimal places"):
        money.parse(text, "JPY")


@pytest.mark.parametrize("currency", ["XYZ", "eu", ""])
def test_parse_refuses_an_unknown_currency(currency):
    with pytest.raises(money.MoneyError, match="ISO 4217"):
        money.parse("12.34", currency)


# --- to_decimal / format_plain / format_display -----------------------------------------


@pytest.mark.parametrize(
    "minor, currency, expected",
    [
        (1234, "EUR", Decimal("12.34")),
        (1200, "EUR", Decimal("12.00")),
        (0, "EUR", Decimal("0.00")),
        (500, "JPY", Decimal("500")),
        (5, "KWD", Decimal("0.005")),
        (1000, "BHD", Decimal("1.000")),
    ],
)
def test_to_decimal_gives_major_units_with_the_currencys_places(minor, currency, expected):
    value = money.to_decimal(minor, currency)
    assert value == expected
    assert value.as_tuple().exponent == -money.exponent(currency)


@pytest.mark.parametrize(
    "minor, currency, expected",
    [(1200, "EUR", "12.00"), (5, "EUR", "0.05"), (0, "EUR", "0.00"), (500, "JPY", "500"),
     (10, "KWD", "0.010"), (123456789012, "EUR", "1234567890.12")],
)
def test_format_plain_is_a_plain_decimal_string(minor, currency, expected):
    assert money.format_plain(minor, currency) == expected


def test_format_plain_never_uses_exponent_notation_or_grouping():
    text = money.format_plain(10**17, "KWD")
    assert text == "100000000000000.000"
    assert "E" not in text and "," not in text


@pytest.mark.parametrize(
    "minor, currency, locale, expected",
    [
        (123450, "EUR", "en", "€1,234.50"),
        (500, "JPY", "en", "¥500"),
        (1234, "KWD", "en", "KWD1.234"),
    ],
)
def test_format_display_uses_the_locale(minor, currency, locale, expected):
    assert money.format_display(minor, currency, locale) == expected


@pytest.mark.parametrize("locale", ["fi", "de", "pl"])
def test_format_display_uses_a_decimal_comma_where_the_locale_does(locale):
    text = money.format_display(123450, "EUR", locale)
    assert "234,50" in text
    assert "€" in text


def test_format_display_defaults_to_english():
    assert money.format_display(1999, "PLN") == money.format_display(1999, "PLN", "en")
    assert "19.99" in money.format_display(1999, "PLN")


# --- conversion to the base currency ---------------------------------------------------


@pytest.mark.parametrize(
    "amount_minor, currency, per_base, base, expected",
    [
        (42750, "PLN", Decimal("4.2750"), "EUR", 10000),  # 427.50 PLN / 4.275 = 100.00 EUR
        (10000, "EUR", Decimal("1"), "EUR", 10000),
        (16000, "JPY", Decimal("160"), "EUR", 10000),  # ¥16,000 / 160 = 100.00 EUR
        (1000, "KWD", Decimal("0.33"), "EUR", 303),  # 1.000 KWD / 0.33 = 3.0303.. EUR
        (10000, "EUR", Decimal("0.00625"), "JPY", 16000),  # base without decimals
        (10000, "EUR", Decimal("3.2"), "KWD", 31250),  # base with three decimals
    ],
)
def test_convert_to_base_divides_by_the_rate(amount_minor, currency, per_base, base, expected):
    assert money.convert_to_base(amount_minor, currency, per_base, base) == expected


@pytest.mark.parametrize(
    "amount_minor, currency, per_base, expected",
    [
        # Exactly half a cent: half-even keeps the even neighbour.
        (100, "PLN", Decimal("8"), 12),  # 1.00 / 8 = 0.125 EUR -> 0.12 (down to even)
        (300, "PLN", Decimal("8"), 38),  # 3.00 / 8 = 0.375 EUR -> 0.38 (up to even)
        (500, "PLN", Decimal("8"), 62),  # 0.625 -> 0.62 (down)
        (700, "PLN", Decimal("8"), 88),  # 0.875 -> 0.88 (up)
        (1, "JPY", Decimal("200"), 0),  # ¥1 / 200 = 0.005 EUR -> 0.00 (down to even)
        (3, "JPY", Decimal("200"), 2),  # ¥3 / 200 = 0.015 EUR -> 0.02 (up to even)
        (5, "KWD", Decimal("0.4"), 1),  # 0.005 KWD / 0.4 = 0.0125 EUR -> 0.01 (down to even)
        (15, "KWD", Decimal("0.4"), 4),  # 0.015 / 0.4 = 0.0375 EUR -> 0.04 (up to even)
    ],
)
def test_convert_to_base_rounds_exact_halves_to_even(amount_minor, currency, per_base, expected):
    assert money.convert_to_base(amount_minor, currency, per_base, "EUR") == expected


@pytest.mark.parametrize(
    "amount_minor, per_base, base, expected",
    [
        (1, Decimal("0.02"), "JPY", 0),  # 0.01 EUR / 0.02 = ¥0.5 -> ¥0
        (3, Decimal("0.02"), "JPY", 2),  # 0.03 EUR / 0.02 = ¥1.5 -> ¥2
        (1, Decimal("20"), "KWD", 0),  # 0.01 EUR / 20 = 0.0005 KWD -> 0.000
        (3, Decimal("20"), "KWD", 2),  # 0.03 EUR / 20 = 0.0015 KWD -> 0.002
    ],
)
def test_convert_to_base_rounds_halves_to_even_in_the_base_minor_unit(
    amount_minor, per_base, base, expected
):
    assert money.convert_to_base(amount_minor, "EUR", per_base, base) == expected


@pytest.mark.parametrize(
    "amount_minor, per_base, expected",
    [
        (101, Decimal("8"), 13),  # 0.12625 -> 0.13: just above a half rounds up
        (99, Decimal("8"), 12),  # 0.12375 -> 0.12: below a half rounds down
        (100, Decimal("3"), 33),  # 0.3333.. -> 0.33
        (200, Decimal("3"), 67),  # 0.6666.. -> 0.67
    ],
)
def test_convert_to_base_rounds_other_values_to_nearest(amount_minor, per_base, expected):
    assert money.convert_to_base(amount_minor, "PLN", per_base, "EUR") == expected


def test_convert_to_base_returns_an_int():
    assert type(money.convert_to_base(100, "PLN", Decimal("4.3"), "EUR")) is int


@pytest.mark.parametrize("per_base", [Decimal("0"), Decimal("-1"), Decimal("-0.0001"),
                                      Decimal("0E-10")])
def test_convert_to_base_refuses_a_zero_or_negative_rate(per_base):
    with pytest.raises(money.MoneyError, match="greater than zero"):
        money.convert_to_base(1000, "PLN", per_base, "EUR")


def test_convert_to_base_refuses_an_unknown_currency():
    with pytest.raises(money.MoneyError):
        money.convert_to_base(1000, "XYZ", Decimal("1"), "EUR")
    with pytest.raises(money.MoneyError):
        money.convert_to_base(1000, "PLN", Decimal("1"), "XYZ")
