"""Importing past screenings from a spreadsheet (the service): matching, every kind of bad
row named by its column, duplicates in the database and within the file, all or nothing,
dry runs, CSV encodings and delimiters, XLSX cells, limits and the templates."""

import csv
import io
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEvent,
    City,
    Collective,
    Contribution,
    ContributionState,
    LedgerDay,
    Role,
    Screening,
    Status,
    Visibility,
)
from app.services import screening_import
from tests.conftest import make_collective, make_screening, make_user

HEADER = ["date", "start_time", "city", "country", "film", "collectives", "venue_name",
          "venue_address", "visibility", "beneficiary", "purpose", "goal_amount",
          "goal_currency", "attendance", "raised_amount", "raised_currency", "description"]


def good(**changes) -> dict:
    """A valid row (a screening in Helsinki last spring), with the given changes."""
    row = {
        "date": "2025-03-14", "start_time": "19:30", "city": "Helsinki", "country": "FI",
        "film": "part-one", "collectives": "kino-kollektiv", "venue_name": "Lepakkomies",
        "venue_address": "Secret Street 1", "visibility": "", "beneficiary":
        "solidarity-collectives", "purpose": "Medical supplies", "goal_amount": "500.00",
        "goal_currency": "EUR", "attendance": "80", "raised_amount": "420.50",
        "raised_currency": "EUR", "description": "With a talk.",
    }
    row.update(changes)
    return row


def csv_bytes(rows: list[dict], delimiter: str = ",", header=HEADER, bom=False,
              encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return (("\ufeff" if bom else "") + out.getvalue()).encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def ledger_days_agree() -> bool:
    """The ledger's day sums count every contribution once, per fundraiser and day."""
    def sums(model, counted):
        return set(db.session.execute(
            select(model.fundraiser_id, model.received_on, model.currency,
                   func.sum(model.amount_minor), func.sum(counted))
            .group_by(model.fundraiser_id, model.received_on, model.currency)).all())
    return sums(LedgerDay, LedgerDay.count) == sums(Contribution, 1)


@pytest.fixture
def coordinator(catalogue):
    make_collective("kino-kollektiv")
    return make_user(Role.COORDINATOR)


def run(content: bytes, actor, filename="past.csv", dry_run=False):
    report = screening_import.import_file(content, filename, actor, dry_run=dry_run)
    if report.written:
        db.session.commit()
    else:
        db.session.rollback()
    return report


def reasons(report, row: int) -> dict[str, str]:
    """The row's reasons by column, as an English reader sees them."""
    entry = next(r for r in report.rows if r["row"] == row)
    return {column: str(message) for column, message in entry["reasons"]}


def problems(report) -> list[str]:
    """Why the file was refused, as an English reader sees it."""
    return [str(problem) for problem in report.problems]


def test_a_good_file_creates_held_screenings_with_fundraiser_money_and_audit(coordinator):
    content = csv_bytes([good(), good(date="2025-04-02", city="Kiev", country="UA",
                                      visibility="Public", collectives="Kino Kollektiv; ",
                                      raised_amount="", raised_currency="",
                                      goal_amount="", goal_currency="", attendance="")])
    report = run(content, coordinator)

    assert not report.refused and report.written
    assert [r["outcome"] for r in report.rows] == ["created", "created"]
    helsinki, kyiv = db.session.scalars(select(Screening).order_by(Screening.starts_at)).all()
    assert helsinki.status == Status.HELD and kyiv.status == Status.HELD
    # 19:30 in Helsinki in March (UTC+2) is 17:30 UTC.
    assert helsinki.starts_at == datetime(2025, 3, 14, 17, 30, tzinfo=helsinki.starts_at.tzinfo)
    assert helsinki.timezone == "Europe/Helsinki" and helsinki.actual_attendance == 80
    assert helsinki.venue.visibility == Visibility.CITY_ONLY
    assert helsinki.venue.address == "Secret Street 1"
    assert helsinki.fundraiser.goal_amount_minor == 50000
    assert helsinki.fundraiser.beneficiary.slug == "solidarity-collectives"
    assert [c.slug for c in helsinki.collectives] == ["kino-kollektiv"]
    assert helsinki.published_at is not None and helsinki.created_by_id == coordinator.id
    # "Kiev" is the gazetteer's other name of Kyiv, added from it.
    assert kyiv.city.name == "Kyiv" and kyiv.venue.visibility == Visibility.PUBLIC
    assert kyiv.fundraiser.goal_amount_minor is None and kyiv.actual_attendance is None
    # The money went through the ledger: one collected contribution, the day sums agree.
    (contribution,) = db.session.scalars(select(Contribution)).all()
    assert (contribution.amount_minor, contribution.currency) == (42050, "EUR")
    assert contribution.state == ContributionState.COLLECTED
    assert contribution.received_on == date(2025, 3, 14)
    assert contribution.base_amount_minor == 42050
    assert ledger_days_agree()
    assert db.session.scalar(select(func.sum(LedgerDay.base_amount_minor))) == 42050
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert actions.count("screening.import") == 2
    assert "contribution.create" in actions and "screenings.import" in actions


def test_reimporting_the_same_file_skips_every_row(coordinator):
    content = csv_bytes([good(), good(date="2025-03-15", film="Part One: Resistance")])
    assert run(content, coordinator).written
    first = db.session.scalars(select(Screening.id).order_by(Screening.id)).all()

    again = run(content, coordinator)

    assert not again.refused
    assert [r["outcome"] for r in again.rows] == ["duplicate", "duplicate"]
    assert reasons(again, 2)["date"].startswith(f"Already recorded as screening #{first[0]}")
    assert [r["screening_id"] for r in again.rows] == first
    assert count(Screening) == 2 and count(Contribution) == 2


def test_a_screening_recorded_by_hand_is_a_duplicate_by_film_city_and_local_date(coordinator):
    collective = db.session.scalar(select(Collective))
    # 23:30 local on 14 March is already the 14th in Helsinki but 21:30 UTC: same local day.
    existing = make_screening(collective, coordinator, Status.PUBLISHED,
                              starts_at=datetime(2025, 3, 14, 23, 30))
    report = run(csv_bytes([good(), good(date="2025-03-13")]), coordinator)
    assert [r["outcome"] for r in report.rows] == ["duplicate", "created"]
    assert report.rows[0]["screening_id"] == existing.id
    assert count(Screening) == 2


def test_a_row_repeated_within_the_file_is_refused_and_nothing_is_written(coordinator):
    report = run(csv_bytes([good(), good(city="helsinki", start_time="15:00")]), coordinator)
    assert report.refused and not report.written
    assert [r["outcome"] for r in report.rows] == ["valid", "refused"]
    assert "Row 2 has the same film, city and date" in reasons(report, 3)["date"]
    assert count(Screening) == 0


@pytest.mark.parametrize("changes, column, fragment", [
    ({"film": "part-nine"}, "film", "No film with the slug or title"),
    ({"film": ""}, "film", "Enter the film"),
    ({"collectives": "kino-kollektiv;nobody"}, "collectives", "\u201cnobody\u201d"),
    ({"collectives": ""}, "collectives", "Enter the host collective"),
    ({"beneficiary": "someone"}, "beneficiary", "No beneficiary"),
    ({"city": "Atlantis"}, "city", "We do not know a city called 'Atlantis' in Finland"),
    ({"city": ""}, "city", "Enter the city"),
    ({"country": "XX"}, "country", "not a known ISO 3166"),
    ({"country": ""}, "country", "Enter the ISO 3166"),
    ({"date": "14/03/2025"}, "date", "YYYY-MM-DD"),
    ({"date": "2025-02-30"}, "date", "YYYY-MM-DD"),
    ({"date": ""}, "date", "Enter the date"),
    ({"date": "2099-01-01"}, "date", "Only past screenings"),
    ({"start_time": "7pm"}, "start_time", "HH:MM"),
    ({"start_time": "25:00"}, "start_time", "HH:MM"),
    ({"date": "2025-03-30", "start_time": "03:30"}, "start_time", "does not exist"),
    ({"venue_name": ""}, "venue_name", "Enter the venue"),
    ({"venue_name": "x" * 201}, "venue_name", "at most 200"),
    ({"purpose": " "}, "purpose", "Enter what the money was for"),
    ({"visibility": "secret"}, "visibility", "public, city_only or on_request"),
    ({"goal_amount": "lots"}, "goal_amount", "digits"),
    ({"goal_amount": "0"}, "goal_amount", "greater than zero"),
    ({"goal_currency": "EURO"}, "goal_currency", ""),
    ({"goal_currency": ""}, "goal_currency", "Give the currency of goal_amount"),
    ({"raised_amount": "-5"}, "raised_amount", "negative"),
    ({"raised_amount": "", "raised_currency": "PLN"}, "raised_amount", "Give the amount"),
    ({"raised_amount": "1.234", "raised_currency": "EUR"}, "raised_amount", ""),
    ({"attendance": "eighty"}, "attendance", "whole number"),
    ({"attendance": "-1"}, "attendance", "whole number"),
])
def test_each_bad_value_refuses_the_row_naming_the_column(coordinator, changes, column,
                                                           fragment):
    report = run(csv_bytes([good(date="2025-01-10"), good(**changes)]), coordinator)
    assert report.refused and not report.written
    assert report.rows[0]["outcome"] == "valid"
    assert report.rows[1]["outcome"] == "refused"
    assert fragment in reasons(report, 3)[column]
    # All or nothing: the valid row was not written either.
    assert count(Screening) == 0 and count(Contribution) == 0 and count(AuditEvent) == 0


def test_every_problem_of_a_row_is_reported_at_once(coordinator):
    report = run(csv_bytes([good(film="x", beneficiary="y", attendance="z", city="Q")]),
                 coordinator)
    assert set(reasons(report, 2)) == {"film", "beneficiary", "attendance", "city"}
    assert report.sorted_rows()[0]["outcome"] == "refused"


def test_a_dry_run_checks_everything_and_writes_nothing(coordinator):
    report = run(csv_bytes([good(city="Tampere")]), coordinator, dry_run=True)
    assert report.dry_run and not report.refused and not report.written
    assert report.rows[0]["outcome"] == "valid"
    assert count(Screening) == 0 and count(City) == 0 and count(AuditEvent) == 0
    assert report.lines()[-1] == "Dry run: nothing was written."


def test_the_start_time_defaults_to_the_evening(coordinator):
    run(csv_bytes([good(start_time="")]), coordinator)
    screening = db.session.scalar(select(Screening))
    assert screening.starts_at.hour == 17  # 19:00 in Helsinki in March


@pytest.mark.parametrize("delimiter, bom", [(",", False), (";", False), (";", True),
                                            (",", True)])
def test_csv_with_either_delimiter_and_with_or_without_a_bom(coordinator, delimiter, bom):
    row = good(description="Talk; then food, and music", raised_amount="420,50")
    report = run(csv_bytes([row], delimiter=delimiter, bom=bom), coordinator)
    assert report.written, report.lines()
    screening = db.session.scalar(select(Screening))
    assert screening.description == "Talk; then food, and music"
    assert db.session.scalar(select(Contribution.amount_minor)) == 42050


def test_header_names_are_case_insensitive_with_aliases_in_any_order(coordinator):
    header = ["Film", "DATE", "City", "Country Code", "Collective", "Venue", "Beneficiary",
              "Purpose", "Notes"]
    row = {"Film": "part-one", "DATE": "2025-03-14", "City": "Helsinki", "Country Code": "fi",
           "Collective": "kino-kollektiv", "Venue": "Bar", "Beneficiary":
           "Solidarity Collectives", "Purpose": "Drones", "Notes": "Full house"}
    report = run(csv_bytes([row], header=header), coordinator)
    assert report.written, report.lines()
    assert db.session.scalar(select(Screening.description)) == "Full house"


@pytest.mark.parametrize("content, fragment", [
    (csv_bytes([good(venue_name="Kahvila Äänekoski")], encoding="cp1252"), "not UTF-8"),
    (csv_bytes([good()], encoding="utf-16"), "UTF-16"),
    (b"", "empty"),
    (csv_bytes([]), "no data rows"),
    (csv_bytes([good()], header=[*HEADER, "colour"]), "Unknown column \u201ccolour\u201d"),
    (csv_bytes([good()], header=[h for h in HEADER if h != "purpose"]),
     "Missing required column(s): purpose"),
    (csv_bytes([good()], header=[*HEADER, "Notes"]), "both give description"),
    (b"PK\x03\x04 not really a zip", "XLSX"),
])
def test_files_that_cannot_be_read_are_refused_with_a_clear_message(coordinator, content,
                                                                    fragment):
    report = run(content, coordinator)
    assert report.refused and not report.written and not report.rows
    assert any(fragment in problem for problem in problems(report)), problems(report)
    assert count(Screening) == 0


def test_limits_on_rows_size_and_kind_of_file(coordinator, monkeypatch):
    from app.services.screening_import import reading

    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    report = run(csv_bytes([good(date=f"2025-01-{day:02d}") for day in range(1, 5)]),
                 coordinator)
    assert problems(report) == ["The file has more than 3 rows: split it."]
    monkeypatch.setattr(reading, "MAX_BYTES", 100)
    assert "larger than" in problems(run(csv_bytes([good()]), coordinator))[0]
    assert ".csv or .xlsx" in problems(run(b"a,b", coordinator, filename="past.xls"))[0]
    assert count(Screening) == 0


def test_blank_lines_are_ignored_and_rows_keep_their_spreadsheet_numbers(coordinator):
    content = csv_bytes([good(), {}, good(date="2025-03-15", film="nope")])
    report = run(content, coordinator)
    assert [r["row"] for r in report.rows] == [2, 4]
    assert "film" in reasons(report, 4)


def test_xlsx_with_real_date_time_and_number_cells_and_text_dates(coordinator):
    content = xlsx_bytes([
        ["Date", "Start time", "City", "Country", "Film", "Collectives", "Venue name",
         "Beneficiary", "Purpose", "Attendance", "Raised amount", "Raised currency", None],
        [datetime(2025, 3, 14), time(19, 30), "Helsinki", "FI", "part-one", "kino-kollektiv",
         "Lepakkomies", "solidarity-collectives", "Medicine", 80, 420.5, "EUR", None],
        ["2025-03-20", "18:00", "Tampere", "FI", "part-one", "kino-kollektiv", "Hall",
         "solidarity-collectives", "Food", 12.0, 1000, "JPY", None],
        [None] * 13,
        [date(2025, 3, 21), 0.75, "Oulu", "FI", "nope", "kino-kollektiv", "Hall",
         "solidarity-collectives", "Food", None, None, None, None],
    ])
    dry = run(content, coordinator, filename="Past.XLSX", dry_run=True)
    assert [r["outcome"] for r in dry.rows] == ["valid", "valid", "refused"]
    assert dry.rows[2]["row"] == 5 and "film" in reasons(dry, 5)

    fixed = load_workbook(io.BytesIO(content))
    fixed.active["E5"] = "part-one"
    out = io.BytesIO()
    fixed.save(out)
    report = run(out.getvalue(), coordinator, filename="past.xlsx")
    assert report.written, report.lines()
    by_city = {s.city.name: s for s in db.session.scalars(select(Screening))}
    assert by_city["Helsinki"].actual_attendance == 80
    assert by_city["Tampere"].starts_at.hour == 16  # 18:00 local
    assert by_city["Oulu"].starts_at.hour == 16  # 0.75 of a day: 18:00 local
    amounts = dict(db.session.execute(
        select(Contribution.currency, Contribution.amount_minor)).all())
    assert amounts == {"EUR": 42050, "JPY": 1000}


def test_several_host_collectives(coordinator):
    make_collective("kollektiv-zwei")
    report = run(csv_bytes([good(collectives="kino-kollektiv; Kollektiv Zwei")]), coordinator)
    assert report.written
    screening = db.session.scalar(select(Screening))
    assert sorted(c.slug for c in screening.collectives) == ["kino-kollektiv", "kollektiv-zwei"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_templates_import_as_they_are(coordinator, fmt):
    content = getattr(screening_import, f"template_{fmt}")()
    report = run(content, coordinator, filename=f"template.{fmt}", dry_run=True)
    assert not report.refused, report.lines()
    assert [r["outcome"] for r in report.rows] == ["valid"]
