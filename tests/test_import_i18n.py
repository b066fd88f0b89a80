"""Languages in the spreadsheet import: a report checked in a background thread (with no reader)
is stored as msgids and values and shown in the language of whoever opens it, service errors
included; reports stored as plain text still show; column notes and refusals follow the
reader's language (a small test catalogue here, merged over the real ones)."""

import io
import json
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from flask_babel import force_locale, gettext
from openpyxl import load_workbook

from app.extensions import db
from app.models import ImportJob, ImportStatus, Role
from app.services import money, screening_import
from app.services.screening_import import jobs
from app.services.screening_import.messages import N_, Message, from_error, recording
from tests.conftest import login, make_collective, make_user
from tests.helpers import page, serve_catalogue, visible_text
from tests.test_screening_import import csv_bytes, good
from tests.test_screening_import_web import finish, upload

ROOT = Path(__file__).resolve().parent.parent

# English msgid -> the test's Italian; a tuple for the plural forms.
ITALIAN = {
    "No beneficiary with the slug or name \u201c%(text)s\u201d.":
        "Nessun beneficiario con lo slug o il nome \u201c%(text)s\u201d.",
    "The amount cannot be negative.": "L'importo non può essere negativo.",
    "%(time)s does not exist in %(zone)s: the clocks skip it when daylight saving time starts. "
    "Choose a time an hour later.": "%(time)s non esiste a %(zone)s: l'ora legale la salta.",
    "Enter a whole number from 0 to %(limit)s.": "Scrivi un numero intero da 0 a %(limit)s.",
    ("%(currency)s amounts have %(num)s decimal place at most.",
     "%(currency)s amounts have %(num)s decimal places at most."):
        ("Gli importi in %(currency)s hanno al massimo %(num)s decimale.",
         "Gli importi in %(currency)s hanno al massimo %(num)s decimali."),
    "We do not know a city called '%(name)s' in %(country)s.":
        "Non conosciamo una città chiamata '%(name)s' in %(country)s.",
    "The file is not UTF-8 (byte %(byte)s on line %(line)s); it was probably saved as "
    "Windows-1252 or Latin-1. Save it as \u201cCSV UTF-8\u201d.":
        "Il file non è UTF-8 (byte %(byte)s alla riga %(line)s).",
    "Upload a .csv or .xlsx file (an .xls or .ods file must first be saved as .xlsx or as CSV "
    "UTF-8).": "Carica un file .csv o .xlsx.",
    "The account that uploaded the file can no longer import.":
        "L'account che ha caricato il file non può più importare.",
    "An unexpected error stopped the import; nothing was written.":
        "Un errore inatteso ha fermato l'importazione; non è stato scritto nulla.",
    "Enter the film.": "Inserisci il film.",
    "The file is empty.": "Il file è vuoto.",
    "Film slug or exact title.": "Slug o titolo esatto del film.",
    "Local start time, HH:MM (or a time cell); %(time)s when empty.":
        "Ora locale di inizio, HH:MM; %(time)s se vuota.",
    "What it holds": "Che cosa contiene",
    "%(done)s of %(total)s rows checked": "%(done)s di %(total)s righe controllate",
}


@pytest.fixture
def italian(app, tmp_path, monkeypatch):
    """Serve ITALIAN to readers who chose Italian, over whatever the real catalogue holds."""
    serve_catalogue(app, tmp_path, monkeypatch, "it", ITALIAN)


@pytest.fixture
def coordinator(catalogue):
    make_collective("kino-kollektiv")
    return make_user(Role.COORDINATOR)


@pytest.fixture
def reader(client, coordinator, italian):
    """The coordinator, logged in, having chosen Italian."""
    login(client, coordinator)
    client.set_cookie("lang", "it")
    return client


def bad_rows() -> bytes:
    return csv_bytes([
        good(beneficiary="nobody"),                                    # row 2: our own text
        good(date="2025-01-11", raised_amount="-5"),                   # 3: money's
        good(date="2025-03-30", start_time="03:30"),                   # 4: localtime's
        good(date="2025-01-12", attendance="-1"),                      # 5: a number
        good(date="2025-01-13", raised_amount="1.234"),                # 6: a plural
        good(date="2025-01-14", city="Nowhereville"),                  # 7: the city's
    ])


ITALIAN_REASONS = [
    "beneficiary : Nessun beneficiario con lo slug o il nome \u201cnobody\u201d.",
    "raised_amount : L'importo non può essere negativo.",
    "start_time : 2025-03-30 03:30 non esiste a Europe/Helsinki: l'ora legale la salta.",
    "attendance : Scrivi un numero intero da 0 a 1.000.000.",
    "raised_amount : Gli importi in EUR hanno al massimo 2 decimali.",
    "city : Non conosciamo una città chiamata 'Nowhereville' in Finland.",
]
ENGLISH_REASONS = [
    "beneficiary : No beneficiary with the slug or name \u201cnobody\u201d.",
    "raised_amount : The amount cannot be negative.",
    "start_time : 2025-03-30 03:30 does not exist in Europe/Helsinki: the clocks skip it when "
    "daylight saving time starts. Choose a time an hour later.",
    "attendance : Enter a whole number from 0 to 1,000,000.",
    "raised_amount : EUR amounts have 2 decimal places at most.",
    "city : We do not know a city called 'Nowhereville' in Finland.",
]


def test_a_report_checked_in_the_background_is_shown_in_the_readers_language(reader):
    job_id, progress = finish(reader, upload(reader, bad_rows()))
    assert progress["status"] == "invalid"

    text = visible_text(reader.get(f"/coordination/import/{job_id}"))
    for reason in ITALIAN_REASONS:
        assert reason in text
    assert "The amount cannot be negative" not in text

    # The same stored report, opened by an English reader.
    reader.delete_cookie("lang")
    text = visible_text(reader.get(f"/coordination/import/{job_id}"))
    for reason in ENGLISH_REASONS:
        assert reason in text
    # Stored as msgids and values, not as text of the thread's language.
    stored = json.loads(db.session.get(ImportJob, job_id).report)
    reasons = {row["row"]: row["reasons"] for row in stored["rows"]}
    assert reasons[5] == [["attendance", {"text": "Enter a whole number from 0 to %(limit)s.",
                                          "values": {"limit": 1_000_000},
                                          "numbers": ["limit"]}]]
    assert reasons[6][0][1]["plural"].endswith("decimal places at most.")


def test_accept_language_picks_the_report_language_too(client, coordinator, italian):
    login(client, coordinator)
    job_id, _ = finish(client, upload(client, "date\n\xe9t\xe9\n".encode("latin-1")))
    response = client.get(f"/coordination/import/{job_id}", headers={"Accept-Language": "it"})
    assert "Il file non è UTF-8 (byte 0xe9 alla riga 2)." in page(response)


def test_a_failure_stored_by_the_worker_is_translated(reader, coordinator):
    uploader = make_user(Role.COORDINATOR)
    job = jobs.create(uploader, "late.csv", csv_bytes([good()]), dry_run=False)
    uploader.role = Role.ORGANISER  # no longer allowed to import when the worker writes
    db.session.commit()
    jobs.start(job.id)
    jobs.wait(job.id)
    text = visible_text(reader.get(f"/coordination/import/{job.id}"))
    assert "L'account che ha caricato il file non può più importare." in text


def old_job(coordinator, report: dict, status=ImportStatus.INVALID) -> ImportJob:
    job = ImportJob(created_by_id=coordinator.id, filename="old.csv", file_format="csv",
                    status=status, report=json.dumps(report))
    db.session.add(job)
    db.session.commit()
    return job


OLD_ROWS = {"dry_run": False, "written": False, "problems": [], "error": None, "rows": [
    {"row": 2, "outcome": "refused", "label": "2025-01-01 \u00b7 Helsinki \u00b7 x",
     "reasons": [["film", "Enter the film."], ["purpose", "100% of it, “as said”."]],
     "screening_id": None},
    {"row": 3, "outcome": "valid", "label": "2025-01-02", "reasons": [], "screening_id": None},
]}


def test_a_report_stored_as_plain_text_still_shows(reader, coordinator):
    job = old_job(coordinator, OLD_ROWS)
    text = visible_text(reader.get(f"/coordination/import/{job.id}"))
    # A text that is also a msgid now finds its translation; any other shows as it was.
    assert "film : Inserisci il film." in text
    assert "purpose : 100% of it, “as said”." in text
    refused = old_job(coordinator, {**OLD_ROWS, "rows": [], "problems": ["The file is empty."]})
    assert "Il file è vuoto." in visible_text(reader.get(f"/coordination/import/{refused.id}"))
    failed = old_job(coordinator, {**OLD_ROWS, "rows": [], "error": "An unexpected error "
                                   "stopped the import; nothing was written."},
                     status=ImportStatus.FAILED)
    assert "Un errore inatteso ha fermato l'importazione" in visible_text(
        reader.get(f"/coordination/import/{failed.id}"))
    reader.delete_cookie("lang")
    text = visible_text(reader.get(f"/coordination/import/{job.id}"))
    assert "film : Enter the film." in text and "purpose : 100% of it, “as said”." in text


def test_an_old_report_loads_and_saves_in_the_new_shape():
    report = screening_import.Report.from_json(json.dumps(OLD_ROWS))
    assert report.rows[0]["reasons"][0] == ["film", Message("Enter the film.")]
    again = screening_import.Report.from_json(report.to_json())
    assert again == report and again.lines()[0].endswith("film: Enter the film.")


def test_the_column_notes_and_the_template_follow_the_reader(reader):
    text = visible_text(reader.get("/coordination/import"))
    assert "Slug o titolo esatto del film." in text
    assert "Ora locale di inizio, HH:MM; 19:00 se vuota." in text
    workbook = load_workbook(io.BytesIO(reader.get("/coordination/import/template.xlsx").data))
    sheet, notes = workbook.worksheets
    # The header row is what the import reads: it stays English.
    assert [cell.value for cell in sheet[1]][:5] == ["date", "start_time", "city", "country",
                                                     "film"]
    assert notes["C1"].value == "Che cosa contiene"
    assert "Slug o titolo esatto del film." in [cell.value for cell in notes["C"]]
    # The same template without a request: English.
    english = load_workbook(io.BytesIO(screening_import.template_xlsx())).worksheets[1]
    assert "Film slug or exact title." in [cell.value for cell in english["C"]]


def test_a_refused_upload_is_named_in_the_readers_language(reader):
    response = upload(reader, b"whatever", "notes.txt")
    assert response.status_code == 422
    assert "Carica un file .csv o .xlsx." in page(response)


def test_a_running_job_counts_rows_in_the_readers_language(reader, coordinator):
    job = ImportJob(created_by_id=coordinator.id, filename="big.csv", file_format="csv",
                    status=ImportStatus.CHECKING, total_rows=4000, processed_rows=1000)
    db.session.add(job)
    db.session.commit()
    body = page(reader.get(f"/coordination/import/{job.id}"))
    assert "1.000 di 4.000 righe controllate" in body
    # The script fills the same sentence in; the JSON itself carries numbers only.
    assert 'data-count-text="{done} di {total} righe controllate"' in body
    assert reader.get(f"/coordination/import/{job.id}/progress").get_json() == {
        "status": "checking", "total_rows": 4000, "processed_rows": 1000, "percent": 25,
        "finished": False}


# --- the messages themselves ------------------------------------------------------------------


def test_a_message_without_values_is_not_percent_formatted(app):
    assert str(Message("100% of it.")) == "100% of it."
    message = Message.of(N_("Row %(row)s has the same film, city and date: a screening can be "
                            "listed once."), row=7)
    assert Message.from_json(json.loads(json.dumps(message.to_json()))) == message
    assert str(message).startswith("Row 7 has")


def test_service_texts_keep_their_msgid_only_while_checking(coordinator):
    report = screening_import.import_file(csv_bytes([good(raised_amount="-5")]), "x.csv", None,
                                          dry_run=True)
    assert report.rows[0]["reasons"] == [["raised_amount",
                                          Message("The amount cannot be negative.")]]
    # Outside the check, gettext gives plain text again.
    assert type(gettext("The amount cannot be negative.")) is str


def test_messages_in_a_request_in_another_language_still_keep_their_msgid(app, italian):
    with (app.test_request_context(headers={"Accept-Language": "it"}), recording(),
          pytest.raises(money.MoneyError) as caught):
        money.parse("-5", "EUR")
    assert str(caught.value) == "L'importo non può essere negativo."
    assert from_error(caught.value) == Message("The amount cannot be negative.")
    with force_locale("en"):
        assert str(from_error(caught.value)) == "The amount cannot be negative."


@pytest.mark.parametrize("module, msgid", [
    ("checking.py", "No beneficiary with the slug or name \u201c%(text)s\u201d."),
    ("reading.py", "The file is empty."),
    ("jobs.py", "The account that uploaded the file can no longer import."),
    ("layout.py", "Missing required column(s): %(names)s."),
    ("layout.py", "Film slug or exact title."),
    ("report.py", "Dry run: nothing was written."),
])
def test_the_messages_are_marked_for_extraction(module, msgid):
    # The keywords `make messages` uses: pybabel's defaults (N_ among them) and the lazy ones.
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    path = ROOT / "app" / "services" / "screening_import" / module
    assert msgid in {found[1] for found in extract_from_file("python", path, keywords)}
