"""Importing the European Central Bank's CSV files: both layouts, cross rates for another base
currency, every fault named by row and column with nothing written, dry runs, and the CLI."""

import io
import zipfile
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import AuditEvent, Channel, Contribution, ExchangeRate, Role, Status
from app.services import ledger, rate_import, rates
from tests.conftest import make_collective, make_screening, make_user

TODAY = date(2026, 6, 30)
FIXTURES = Path(__file__).parent / "fixtures" / "ecb"
DAILY = (FIXTURES / "eurofxref.csv").read_bytes()
HISTORY = (FIXTURES / "eurofxref-hist.csv").read_bytes()
TEN_PLACES = Decimal("1E-10")


def stored() -> dict[tuple[str, date], Decimal]:
    """Every stored rate by (currency, day)."""
    return {(r.currency, r.valid_on): r.per_base
            for r in db.session.scalars(select(ExchangeRate))}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def coordinator():
    return make_user(Role.COORDINATOR)


@pytest.fixture
def fundraiser(catalogue):
    organiser = make_user(Role.ORGANISER, make_collective("kino-kollektiv"))
    screening = make_screening(organiser.memberships[0].collective, actor=organiser,
                               status=Status.PUBLISHED)
    return screening.fundraiser


def give(fundraiser, amount: str, currency: str, received_on: date) -> Contribution:
    contribution = ledger.record_contribution(
        fundraiser, make_user(Role.COORDINATOR), amount=amount, currency=currency,
        received_on=received_on, channel=Channel.DOOR, today=TODAY)
    db.session.commit()
    return contribution


@pytest.fixture
def usd_base(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_CURRENCY", "USD")


# --- the two layouts -------------------------------------------------------------------------


def test_the_daily_file_is_read_with_its_spaces_and_long_date():
    parsed = rate_import.parse(DAILY, "EUR", TODAY)
    assert parsed.layout == "daily"
    assert (parsed.days, parsed.first_day, parsed.last_day) == (1, date(2026, 4, 1),
                                                                date(2026, 4, 1))
    assert len(parsed.entries) == 30
    values = {code: value for code, _day, value in parsed.entries}
    assert values["USD"] == Decimal("1.0812")
    assert values["JPY"] == Decimal("162.35")
    assert values["ZAR"] == Decimal("19.8830")
    assert "EUR" not in values


def test_the_historical_file_skips_missing_figures_and_keeps_retired_currencies():
    parsed = rate_import.parse(HISTORY, "EUR", TODAY)
    assert parsed.layout == "historical"
    assert (parsed.days, parsed.first_day, parsed.last_day) == (4, date(2004, 12, 31),
                                                                date(2026, 4, 2))
    # N/A (CYP, ROL, TRL after they were retired) and an empty GBP cell are skipped.
    assert parsed.per_currency == {"BGN": 4, "CYP": 1, "CZK": 4, "GBP": 3, "JPY": 4, "PLN": 4,
                                   "ROL": 1, "TRL": 1, "USD": 4}
    entries = {(c, d): v for c, d, v in parsed.entries}
    assert entries["TRL", date(2004, 12, 31)] == Decimal("1836200")
    assert ("GBP", date(2026, 3, 31)) not in entries


@pytest.mark.parametrize("variant", ["bom", "crlf", "zip"])
def test_a_byte_order_mark_windows_line_ends_and_the_ecb_zip_are_fine(variant):
    if variant == "bom":
        data = b"\xef\xbb\xbf" + HISTORY
    elif variant == "crlf":
        data = HISTORY.replace(b"\n", b"\r\n")
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("eurofxref-hist.csv", HISTORY)
        data = buffer.getvalue()
    assert rate_import.parse(data, "EUR", TODAY).entries == \
        rate_import.parse(HISTORY, "EUR", TODAY).entries


def test_another_base_currency_gets_cross_rates_and_a_euro_rate():
    parsed = rate_import.parse(DAILY, "USD", TODAY)
    values = {code: value for code, _day, value in parsed.entries}
    assert "USD" not in values
    usd = Decimal("1.0812")
    assert values["JPY"] == (Decimal("162.35") / usd).quantize(TEN_PLACES, ROUND_HALF_EVEN)
    assert values["JPY"] == Decimal("150.1572327044")
    assert values["EUR"] == (1 / usd).quantize(TEN_PLACES, ROUND_HALF_EVEN)
    assert values["EUR"] == Decimal("0.9248982612")
    assert len(values) == 30  # 29 other currencies and the euro


def test_with_another_base_a_day_without_its_rate_is_refused(app):
    data = b"Date,USD,GBP,\n2026-04-02,1.08,0.84,\n2026-04-01,N/A,0.83,\n"
    with pytest.raises(rate_import.ImportRefused) as caught:
        rate_import.parse(data, "USD", TODAY)
    assert caught.value.problems == [
        "Row 3, column USD: no USD rate on 2026-04-01, so the day's rates cannot be turned "
        "into rates per USD (the base currency)."]


def test_with_another_base_the_file_needs_its_column():
    with pytest.raises(rate_import.ImportRefused) as caught:
        rate_import.parse(HISTORY, "CHF", TODAY)
    assert "Row 1: the file has no CHF column" in caught.value.problems[0]


def test_importing_with_another_base_converts_contributions_through_the_cross_rate(
        app, usd_base, fundraiser, coordinator):
    contribution = give(fundraiser, "1000", "JPY", date(2026, 4, 1))
    assert contribution.base_amount_minor is None

    report = rate_import.import_file(DAILY, coordinator, today=TODAY)
    db.session.commit()

    assert report.written.reconverted == 1
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.base_currency == "USD"
    assert contribution.rate_per_base == Decimal("150.1572327044")
    assert contribution.base_amount_minor == 666  # 1000 / 150.157... = 6.6597 USD


# --- faults: named by row and column, and nothing written -------------------------------------

GOOD = "Date,USD,PLN,\n2026-04-01,1.0812,4.2750,\n"


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"Day,USD,PLN,\n2026-04-01,1.08,4.27,\n", 'Row 1, column 1: expected "Date", found "Day"'),
    (b"USD,PLN\n1.08,4.27\n", 'Row 1, column 1: expected "Date", found "USD"'),
    (b"Date,USD,XYZ,\n2026-04-01,1.08,4.27,\n",
     "Row 1, column 3 (XYZ): XYZ is not an ISO 4217 currency"),
    (b"Date,USD,Polish zloty,\n2026-04-01,1.08,4.27,\n",
     'Row 1, column 3: "Polish zloty" is not a three-letter currency code.'),
    (b"Date,USD,,PLN,\n2026-04-01,1.08,,4.27,\n", "Row 1, column 3: the column has no currency"),
    (b"Date,USD,USD,\n2026-04-01,1.08,1.09,\n", "Row 1, column 3 (USD): USD is already column 2"),
    (b"Date,USD,EUR,\n2026-04-01,1.08,1,\n",
     "Row 1, column 3 (EUR): the file's rates are per euro"),
    (b"Date,\n2026-04-01,\n", "Row 1: the file has no currency columns."),
    (b"Date,USD,PLN,\n2026-04-01,1.0812,4.27\xe9,\n",
     "Row 2, column 3: the file is not UTF-8 text (byte 0xE9"),
    (b"Date,USD,PLN,\n2026-13-01,1.08,4.27,\n",
     'Row 2, column Date: "2026-13-01" is not a date (write 2026-04-01 or 01 April 2026).'),
    (b"Date,USD,PLN,\n01/04/2026,1.08,4.27,\n", 'Row 2, column Date: "01/04/2026" is not a date'),
    (b"Date, USD, PLN, \n01 Avril 2026, 1.08, 4.27, \n",
     'Row 2, column Date: "01 Avril 2026" is not a date'),
    (b"Date,USD,PLN,\n2026-07-01,1.08,4.27,\n",
     "Row 2, column Date: 2026-07-01 has not come yet (today is 2026-06-30)."),
    (GOOD.encode() + b"2026-04-01,1.09,4.28,\n",
     "Row 3, column Date: 2026-04-01 is already in row 2."),
    (b"Date,USD,PLN,\n2026-04-01,1.08,4.2x,\n", 'Row 2, column PLN: "4.2x" is not a number'),
    (b"Date,USD,PLN,\n2026-04-01,1.08,\"4,27\",\n", 'Row 2, column PLN: "4,27" is not a number'),
    (b"Date,USD,PLN,\n2026-04-01,1.08,1e3,\n", 'Row 2, column PLN: "1e3" is not a number'),
    (b"Date,USD,PLN,\n2026-04-01,0,4.27,\n",
     'Row 2, column USD: a rate must be greater than zero, found "0".'),
    (b"Date,USD,PLN,\n2026-04-01,1.08,-4.27,\n",
     'Row 2, column PLN: a rate must be greater than zero, found "-4.27".'),
    (b"Date,USD,PLN,\n2026-04-01,1.08,4.12345678901,\n",
     'Row 2, column PLN: "4.12345678901": Use at most 10 decimal places.'),
    (b"Date,USD,PLN,\n2026-04-01,1.08,4.27,9.99,1,\n",
     "Row 2: expected 3 columns as in the header, found 5."),
    (b"Date,USD,PLN,\n2026-04-01,1.08\n", "Row 2: expected 3 columns as in the header, found 2."),
    (b"Date,USD,PLN,\n", "The file holds no rates."),
    (b"Date,USD,PLN,\n2026-04-01,N/A,,\n", "The file holds no rates."),
    (b"Date,USD,PLN,\n2026-04-01,1.08,4\x0027,\n", 'Row 2, column PLN: "4\x0027" is not a'),
    (b"Date,USD,PLN,\n2026-04-01,1.08," + b"4" * 200_000 + b",\n",
     "Row 2: the line cannot be read as CSV (field larger than field limit"),
    (b"PK\x03\x04 not really a zip", "The zip file cannot be read"),
])
def test_a_bad_file_is_refused_naming_the_row_and_column_and_writes_nothing(
        coordinator, data, message):
    with pytest.raises(rate_import.ImportRefused) as caught:
        rate_import.import_file(data, coordinator, today=TODAY)
    db.session.commit()
    assert any(p.startswith(message) for p in caught.value.problems), caught.value.problems
    assert count(ExchangeRate) == 0
    assert count(AuditEvent) == 0


def test_one_bad_row_among_good_ones_writes_nothing(coordinator):
    data = (GOOD + "2026-04-02,1.0830,4.2800,\n2026-04-03,1.0850,zero,\n").encode()
    with pytest.raises(rate_import.ImportRefused) as caught:
        rate_import.import_file(data, coordinator, today=TODAY)
    db.session.commit()
    assert caught.value.problems == ['Row 4, column PLN: "zero" is not a number (write it as '
                                     "4.2750)."]
    assert count(ExchangeRate) == 0


def test_every_problem_is_listed_and_a_flood_is_cut_short(coordinator):
    data = (GOOD + "2026-04-02,-1,4.2800,\n2026-04-03,1.0850,0,\n").encode()
    with pytest.raises(rate_import.ImportRefused) as caught:
        rate_import.parse(data, "EUR", TODAY)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "Row 3, column USD", "Row 4, column PLN"]

    flood = GOOD + "2026-04-01,1.0,4.0,\n" * 150
    with pytest.raises(rate_import.ImportRefused) as caught:
        rate_import.parse(flood.encode(), "EUR", TODAY)
    assert len(caught.value.problems) == rate_import.MAX_PROBLEMS
    assert caught.value.more == 50


def test_a_zip_must_hold_one_csv():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", GOOD)
        archive.writestr("b.csv", GOOD)
    with pytest.raises(rate_import.ImportRefused) as caught:
        rate_import.parse(buffer.getvalue(), "EUR", TODAY)
    assert caught.value.problems == ["The zip file must hold exactly one .csv file."]


# --- importing, dry runs, importing again --------------------------------------------------------


def test_an_import_writes_every_rate_with_its_source_and_actor(coordinator):
    report = rate_import.import_file(HISTORY, coordinator, today=TODAY)
    db.session.commit()
    assert (report.written.created, report.written.updated, report.written.unchanged) == (26, 0, 0)
    assert not report.dry_run
    rows = db.session.scalars(select(ExchangeRate)).all()
    assert len(rows) == 26
    assert {(r.source, r.entered_by_id) for r in rows} == {("import", coordinator.id)}
    assert stored()["PLN", date(2026, 4, 1)] == Decimal("4.2750")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rates.set")).one()
    assert (event.actor_id, event.after["source"], event.after["created"]) == (
        coordinator.id, "import", 26)


def test_a_dry_run_writes_nothing_and_foresees_exactly_what_the_import_does(
        fundraiser, coordinator):
    rates.set_rate("PLN", date(2026, 4, 1), "4.0000", coordinator, today=TODAY)  # will change
    rates.set_rate("USD", date(2026, 4, 2), "1.0830", coordinator, today=TODAY)  # as in the file
    db.session.commit()
    give(fundraiser, "400.00", "PLN", date(2026, 4, 1))  # converted at 4.0000, will change
    give(fundraiser, "100.00", "USD", date(2026, 4, 1))  # not converted yet, will be
    give(fundraiser, "100.00", "USD", date(2026, 4, 5))  # already at the same rate
    # The file leaves GBP empty that day: the latest GBP rate before it (2004) converts it.
    give(fundraiser, "50.00", "GBP", date(2026, 3, 31))
    give(fundraiser, "9.00", "SEK", date(2026, 4, 1))  # no SEK column at all
    before, audit_before = stored(), count(AuditEvent)
    contributions_before = db.session.execute(
        select(Contribution.id, Contribution.base_amount_minor)).all()

    preview = rate_import.import_file(HISTORY, coordinator, dry_run=True, today=TODAY)
    db.session.commit()

    assert preview.dry_run
    assert (stored(), count(AuditEvent)) == (before, audit_before)
    assert db.session.execute(
        select(Contribution.id, Contribution.base_amount_minor)).all() == contributions_before
    assert (preview.written.created, preview.written.updated, preview.written.unchanged) == (
        24, 1, 1)
    assert preview.written.reconverted == 3

    done = rate_import.import_file(HISTORY, coordinator, today=TODAY)
    db.session.commit()
    assert done.written == preview.written
    assert ledger.mismatches() == []


def test_importing_the_same_file_again_changes_nothing(fundraiser, coordinator):
    give(fundraiser, "400.00", "PLN", date(2026, 4, 1))
    first = rate_import.import_file(HISTORY, coordinator, today=TODAY)
    db.session.commit()
    assert first.written.reconverted == 1
    before, events, totals = stored(), count(AuditEvent), ledger.totals()

    again = rate_import.import_file(HISTORY, coordinator, today=TODAY)
    db.session.commit()

    assert (again.written.created, again.written.updated, again.written.reconverted) == (0, 0, 0)
    assert again.written.unchanged == 26
    assert rate_import.import_file(HISTORY, coordinator, dry_run=True,
                                   today=TODAY).written == again.written
    assert (stored(), count(AuditEvent), ledger.totals()) == (before, events, totals)


def test_a_newer_file_changes_only_what_differs(coordinator):
    rate_import.import_file(DAILY, coordinator, today=TODAY)
    changed = DAILY.replace(b" 4.2750,", b" 4.2800,")
    report = rate_import.import_file(changed, coordinator, today=TODAY)
    db.session.commit()
    assert (report.written.created, report.written.updated, report.written.unchanged) == (
        0, 1, 29)
    assert stored()["PLN", date(2026, 4, 1)] == Decimal("4.2800")


# --- flask rates ---------------------------------------------------------------------------------


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def history_file(tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_bytes(HISTORY)
    return path


def test_cli_import_prints_the_report(runner, history_file):
    result = runner.invoke(args=["rates", "import", str(history_file)])
    assert result.exit_code == 0, result.output
    assert "ECB historical file (eurofxref-hist.csv layout), 4 day(s) from 2004-12-31 to " \
           "2026-04-02, 26 rate(s) per 1 EUR." in result.stdout
    for line in ("Created: 26", "Updated: 0", "Unchanged: 0", "Re-converted: 0 contribution(s)",
                 "  GBP  3", "  TRL  1"):
        assert line in result.stdout.splitlines()
    assert count(ExchangeRate) == 26
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rates.set")).one()
    assert event.actor_id is None  # the system


def test_cli_dry_run_writes_nothing(runner, history_file):
    result = runner.invoke(args=["rates", "import", str(history_file), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would create: 26" in result.stdout
    assert "Dry run: nothing was written." in result.stdout
    assert (count(ExchangeRate), count(AuditEvent)) == (0, 0)


def test_cli_names_the_actor(runner, history_file, coordinator):
    result = runner.invoke(args=["rates", "import", str(history_file), "--as",
                                 coordinator.email.upper()])
    assert result.exit_code == 0, result.output
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rates.set")).one()
    assert event.actor_id == coordinator.id


def test_cli_refuses_an_unknown_actor(runner, history_file):
    result = runner.invoke(args=["rates", "import", str(history_file), "--as",
                                 "nobody@example.org"])
    assert result.exit_code == 1
    assert "no account with the email nobody@example.org" in result.stderr
    assert count(ExchangeRate) == 0


def test_cli_refuses_a_bad_file_on_stderr_with_exit_code_1(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Date,USD,PLN,\n2026-04-01,1.08,4.27,\n2026-04-02,1.09,-1,\n")
    result = runner.invoke(args=["rates", "import", str(path)])
    assert result.exit_code == 1
    assert "bad.csv was not imported; nothing was written." in result.stderr
    assert 'Row 3, column PLN: a rate must be greater than zero, found "-1".' in result.stderr
    assert result.stdout == ""
    assert count(ExchangeRate) == 0


def test_cli_list_shows_the_latest_rates_or_one_currency(runner, history_file, fundraiser):
    give(fundraiser, "9.00", "SEK", date(2026, 4, 1))
    runner.invoke(args=["rates", "import", str(history_file)])

    result = runner.invoke(args=["rates", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Units per 1 EUR, latest rate of each currency:"
    assert any(line.split() == ["PLN", "4.28", "from", "2026-04-02", "(import)"]
               for line in lines)
    assert "SEK  no rate (1 contribution(s) not converted)" in lines

    result = runner.invoke(args=["rates", "list", "--currency", "gbp"])
    assert [line.split() for line in result.stdout.splitlines()] == [
        ["2026-04-02", "GBP", "0.8381", "import"], ["2026-04-01", "GBP", "0.83775", "import"],
        ["2004-12-31", "GBP", "0.70505", "import"]]


def test_cli_reconvert_after_the_base_currency_changed(app, runner, fundraiser, coordinator,
                                                       monkeypatch):
    rate_import.import_file(DAILY, coordinator, today=TODAY)
    db.session.commit()
    give(fundraiser, "100.00", "EUR", date(2026, 4, 2))
    give(fundraiser, "427.50", "PLN", date(2026, 4, 2))
    assert rates.base_mismatch() == 0

    # The base changes, and the rates are replaced by rates per USD (without re-converting).
    monkeypatch.setitem(app.config, "BASE_CURRENCY", "USD")
    db.session.execute(delete(ExchangeRate))
    db.session.add_all(ExchangeRate(currency=c, valid_on=d, per_base=v, source="import")
                       for c, d, v in rate_import.parse(DAILY, "USD", TODAY).entries)
    db.session.commit()
    assert rates.base_mismatch() == 2

    result = runner.invoke(args=["rates", "reconvert"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Re-converted 2 contribution(s) to USD."
    assert rates.base_mismatch() == 0
    amounts = db.session.execute(select(Contribution.base_currency, Contribution.base_amount_minor)
                                 .order_by(Contribution.id)).all()
    assert amounts == [("USD", 10812), ("USD", 10812)]  # 100 EUR, and 100 EUR's worth of PLN
