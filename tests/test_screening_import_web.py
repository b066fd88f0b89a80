"""Importing past screenings through `flask import screenings` and the coordinators' upload
page (background job, progress, report, access and CSRF), and a file of thousands of rows
with a bounded number of queries."""

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select, update

from app.extensions import db
from app.models import (
    AuditEvent,
    Contribution,
    ImportJob,
    ImportStatus,
    Role,
    Screening,
    Status,
    utcnow,
)
from app.services import screening_import
from app.services.screening_import import jobs
from tests.conftest import login, make_collective, make_user
from tests.test_screening_import import csv_bytes, good, ledger_days_agree


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def coordinator(catalogue):
    make_collective("kino-kollektiv")
    return make_user(Role.COORDINATOR, email="coordinator@example.org")


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def write_file(tmp_path, content: bytes, name="past.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


# --- the command line -------------------------------------------------------------------------


def test_cli_dry_run_then_import_then_reimport(cli, coordinator, tmp_path):
    path = write_file(tmp_path, csv_bytes([good(), good(date="2025-03-15")]))

    dry = cli.invoke(args=["import", "screenings", path, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Valid: 2, skipped as duplicates: 0, refused: 0." in dry.output
    assert "Dry run: nothing was written." in dry.output
    assert count(Screening) == 0

    done = cli.invoke(args=["import", "screenings", path, "--as", coordinator.email])
    assert done.exit_code == 0, done.output
    assert "Created: 2" in done.output
    assert count(Screening) == 2 and count(Contribution) == 2
    assert ledger_days_agree()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "screening.import")).all()
    assert {e.actor_id for e in events} == {coordinator.id}

    again = cli.invoke(args=["import", "screenings", path, "--as", coordinator.email])
    assert again.exit_code == 0, again.output
    assert "Row 2 skipped" in again.output and "Already recorded as screening #" in again.output
    assert "Created: 0, skipped as duplicates: 2" in again.output
    assert count(Screening) == 2


def test_cli_refused_rows_exit_non_zero_and_write_nothing(cli, coordinator, tmp_path):
    path = write_file(tmp_path, csv_bytes([good(), good(date="2025-03-15", film="nope")]))
    result = cli.invoke(args=["import", "screenings", path, "--as", coordinator.email])
    assert result.exit_code == 1
    assert "Row 3 refused (2025-03-15 \u00b7 Helsinki \u00b7 nope): film: No film" in result.output
    assert "Nothing was written" in result.output
    assert count(Screening) == 0 and count(AuditEvent) == 0


def test_cli_refuses_an_unreadable_file(cli, coordinator, tmp_path):
    path = write_file(tmp_path, "date;city\n2025-01-01;Kyiv\n".encode("utf-16"))
    result = cli.invoke(args=["import", "screenings", path, "--dry-run"])
    assert result.exit_code == 1
    assert "File refused: The file is encoded as UTF-16" in result.output


def test_cli_needs_a_coordinator_to_write(cli, coordinator, tmp_path):
    path = write_file(tmp_path, csv_bytes([good()]))
    result = cli.invoke(args=["import", "screenings", path])
    assert result.exit_code != 0 and "--as EMAIL" in result.output
    organiser = make_user(Role.ORGANISER)
    result = cli.invoke(args=["import", "screenings", path, "--as", organiser.email])
    assert result.exit_code != 0 and "no coordinator or admin account" in result.output
    assert count(Screening) == 0


def test_cli_reads_xlsx(cli, coordinator, tmp_path):
    path = write_file(tmp_path, screening_import.template_xlsx(), "template.xlsx")
    result = cli.invoke(args=["import", "screenings", path, "--as", coordinator.email])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Screening.status)) == Status.HELD


# --- the upload page --------------------------------------------------------------------------


def upload(client, content: bytes, name="past.csv", dry_run=False, **extra):
    data = {"file": (io.BytesIO(content), name), **extra}
    if dry_run:
        data["dry_run"] = "y"
    return client.post("/coordination/import", data=data, content_type="multipart/form-data")


def finish(client, response) -> tuple[int, dict]:
    """Follow an upload to its job, wait for the worker, and read the progress JSON."""
    assert response.status_code == 302, response.get_data(as_text=True)
    job_id = int(re.search(r"/coordination/import/(\d+)$", response.headers["Location"])[1])
    jobs.wait(job_id)
    progress = client.get(f"/coordination/import/{job_id}/progress")
    assert progress.status_code == 200
    assert progress.headers["Cache-Control"] == "no-store"
    return job_id, progress.get_json()


def test_the_page_shows_the_layout_and_the_templates(client, coordinator):
    login(client, coordinator)
    page = client.get("/coordination/import").get_data(as_text=True)
    assert "<code>raised_amount</code>" in page and 'enctype="multipart/form-data"' in page
    csv_template = client.get("/coordination/import/template.csv")
    assert csv_template.mimetype == "text/csv"
    assert "attachment" in csv_template.headers["Content-Disposition"]
    assert csv_template.data.decode("utf-8-sig").startswith("date,start_time,city,country,")
    xlsx = client.get("/coordination/import/template.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["date", "start_time", "city"]
    assert client.get("/coordination/import/template.ods").status_code == 404


def test_upload_runs_in_the_background_and_reports_refused_rows_first(client, coordinator):
    login(client, coordinator)
    rows = [good(date=f"2025-02-{day:02d}") for day in range(1, 11)]
    rows[6] = good(date="2025-02-07", beneficiary="nobody")
    job_id, progress = finish(client, upload(client, csv_bytes(rows)))

    assert progress == {"status": "invalid", "total_rows": 10, "processed_rows": 10,
                        "percent": 100, "finished": True}
    page = client.get(f"/coordination/import/{job_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Refused: nothing was written." in html and "import-progress.js" not in html
    report_rows = re.findall(r'<tr class="outcome-(\w+)">\s*<td class="num">(\d+)</td>', html)
    assert report_rows[0] == ("refused", "8")
    assert [outcome for outcome, _ in report_rows[1:]] == ["valid"] * 9
    assert "<code>beneficiary</code>: No beneficiary with the slug or name" in html
    assert count(Screening) == 0
    job = db.session.get(ImportJob, job_id)
    assert job.content is None and job.finished_at is not None
    assert job.created_by_id == coordinator.id


def test_upload_writes_every_row_once_checked(client, coordinator):
    login(client, coordinator)
    job_id, progress = finish(client, upload(client, csv_bytes([good(), good(city="Oulu")])))
    assert progress["status"] == "done"
    html = client.get(f"/coordination/import/{job_id}").get_data(as_text=True)
    assert "Imported." in html and html.count('class="outcome-created"') == 2
    assert count(Screening) == 2
    assert ledger_days_agree()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "screening.import")) == 2
    # The list of latest imports links the job.
    assert f"/coordination/import/{job_id}" in client.get("/coordination/import").get_data(
        as_text=True)


def test_a_dry_run_upload_checks_and_writes_nothing(client, coordinator):
    login(client, coordinator)
    job_id, progress = finish(client, upload(client, screening_import.template_xlsx(),
                                             "template.xlsx", dry_run=True))
    assert progress["status"] == "checked"
    html = client.get(f"/coordination/import/{job_id}").get_data(as_text=True)
    assert "dry run: nothing was written" in html.lower()
    assert count(Screening) == 0


def test_an_unreadable_upload_is_reported_on_the_job_page(client, coordinator):
    login(client, coordinator)
    job_id, progress = finish(client, upload(client, "date\n\xe9t\xe9\n".encode("latin-1")))
    assert progress["status"] == "invalid"
    html = client.get(f"/coordination/import/{job_id}").get_data(as_text=True)
    assert "The file cannot be read" in html and "not UTF-8" in html


def test_upload_form_errors(client, coordinator):
    login(client, coordinator)
    assert client.post("/coordination/import", data={}).status_code == 422
    response = upload(client, b"whatever", "notes.txt")
    assert response.status_code == 422
    assert ".csv or .xlsx" in response.get_data(as_text=True)
    assert count(ImportJob) == 0


def test_a_running_job_page_refreshes_itself_and_polls(client, coordinator):
    job = ImportJob(created_by_id=coordinator.id, filename="big.csv", file_format="csv",
                    status=ImportStatus.CHECKING, total_rows=400, processed_rows=100)
    db.session.add(job)
    db.session.commit()
    login(client, coordinator)
    html = client.get(f"/coordination/import/{job.id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert 'src="/static/js/import-progress.js"' in html
    assert '<progress max="100" value="25"' in html and "<script>" not in html
    assert client.get(f"/coordination/import/{job.id}/progress").get_json() == {
        "status": "checking", "total_rows": 400, "processed_rows": 100, "percent": 25,
        "finished": False}
    with client.get("/static/js/import-progress.js") as script:
        assert script.status_code == 200 and b"data-progress-url" in script.data


def test_a_job_stuck_for_long_is_shown_as_failed(client, coordinator):
    job = ImportJob(created_by_id=coordinator.id, filename="stuck.csv", file_format="csv",
                    status=ImportStatus.IMPORTING, content=b"x")
    db.session.add(job)
    db.session.commit()
    login(client, coordinator)
    assert client.get(f"/coordination/import/{job.id}/progress").get_json()["finished"] is False
    db.session.execute(update(ImportJob).values(
        updated_at=utcnow() - jobs.STALE_AFTER - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(f"/coordination/import/{job.id}/progress").get_json()["status"] == "failed"
    html = client.get(f"/coordination/import/{job.id}").get_data(as_text=True)
    assert "Failed: nothing was written." in html and "stopped without finishing" in html
    db.session.refresh(job)
    assert job.status == ImportStatus.FAILED and job.content is None


def test_a_job_expired_meanwhile_is_not_written_by_its_worker(app, coordinator):
    job = jobs.create(coordinator, "late.csv", csv_bytes([good()]), dry_run=False)
    db.session.commit()
    # The worker checks, then finds its job gone from "checking" (expired): it writes nothing.
    original = jobs.write_checked

    def expire_then_write(*args, **kwargs):
        with app.app_context():
            db.session.execute(update(ImportJob).values(status=ImportStatus.FAILED))
            db.session.commit()
        return original(*args, **kwargs)

    jobs.write_checked = expire_then_write
    try:
        jobs.start(job.id)
        jobs.wait(job.id)
    finally:
        jobs.write_checked = original
    db.session.expire_all()
    assert count(Screening) == 0
    assert db.session.get(ImportJob, job.id).status == ImportStatus.FAILED


def test_organisers_get_403_and_anonymous_people_log_in_first(client, coordinator):
    organiser = make_user(Role.ORGANISER, make_collective("other"))
    response = client.get("/coordination/import")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    login(client, organiser)
    for path in ("/coordination/import", "/coordination/import/template.csv"):
        assert client.get(path).status_code == 403
    assert upload(client, csv_bytes([good()])).status_code == 403
    assert count(ImportJob) == 0


def test_another_coordinators_job_and_a_missing_job(client, coordinator):
    other = make_user(Role.COORDINATOR)
    job = jobs.create(other, "theirs.csv", b"date\n", dry_run=True)
    db.session.commit()
    login(client, coordinator)
    assert client.get(f"/coordination/import/{job.id}").status_code == 200
    assert client.get(f"/coordination/import/{job.id + 1}").status_code == 404
    assert client.get(f"/coordination/import/{job.id + 1}/progress").status_code == 404


def test_the_upload_needs_a_csrf_token(app, client, coordinator, monkeypatch):
    from tests.test_csrf import log_in, token_on

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # as in production
    log_in(client, coordinator)
    assert upload(client, csv_bytes([good()])).status_code == 400
    assert count(ImportJob) == 0
    token = token_on(client, "/coordination/import")
    response = upload(client, csv_bytes([good()]), dry_run=True, csrf_token=token)
    assert response.status_code == 302
    jobs.wait(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert count(ImportJob) == 1


# --- thousands of rows ------------------------------------------------------------------------

ROWS = 2000


def big_file() -> bytes:
    cities = ["Helsinki", "Tampere", "Turku", "Oulu", "Espoo"]
    start = date(2019, 1, 1)
    rows = []
    for n in range(ROWS):
        row = good(date=(start + timedelta(days=n // len(cities))).isoformat(),
                   city=cities[n % len(cities)], goal_amount="", goal_currency="",
                   raised_amount="", raised_currency="")
        if n % 500 == 0:
            row.update(raised_amount="12.50", raised_currency="EUR")
        rows.append(row)
    return csv_bytes(rows)


@pytest.fixture
def statements():
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()).lower())

    event.listen(db.engine, "before_cursor_execute", listen)
    yield seen
    event.remove(db.engine, "before_cursor_execute", listen)


CATALOGUE_TABLES = ("films", "collectives", "beneficiaries", "cities", "countries")


def catalogue_selects(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("select")
            and any(f"from {table}" in s for table in CATALOGUE_TABLES)]


def test_thousands_of_rows_take_a_bounded_number_of_queries(coordinator, statements):
    content = big_file()
    report = screening_import.import_file(content, "big.csv", coordinator)
    db.session.commit()

    assert report.written and report.counts["created"] == ROWS
    assert count(Screening) == ROWS and count(Contribution) == ROWS // 500
    # The catalogue is read a few times for the whole file (plus a few per new city), never
    # once per row; nothing else is looked up per row either (SQLite still gets one INSERT
    # per row: without ordered RETURNING, the ORM cannot batch them there).
    assert len(catalogue_selects(statements)) < 40, catalogue_selects(statements)
    selects = [s for s in statements if s.startswith("select")]
    assert len(selects) < 100, len(selects)
    assert ledger_days_agree()

    statements.clear()
    again = screening_import.import_file(content, "big.csv", coordinator, dry_run=True)
    assert again.counts["duplicate"] == ROWS
    assert len(statements) < 15, statements


def test_a_big_upload_commits_its_progress_in_steps(client, coordinator, statements):
    login(client, coordinator)
    statements.clear()
    _job_id, progress = finish(client, upload(client, big_file(), dry_run=True))
    assert progress == {"status": "checked", "total_rows": ROWS, "processed_rows": ROWS,
                        "percent": 100, "finished": True}
    steps = [s for s in statements if s.startswith("update import_jobs")
             and "processed_rows" in s]
    assert len(steps) >= jobs.PROGRESS_STEPS
