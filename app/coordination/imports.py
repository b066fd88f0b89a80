"""Bulk import of past screenings: upload a CSV or XLSX file, follow the check on a job page
(a progress bar polled by a small script, or a meta refresh without it), read the report."""

from flask import Response, jsonify, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from ..extensions import db
from ..services import screening_import
from ..services.screening_import import jobs
from .blueprint import bp

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The page reloads itself this often while a job runs, for browsers without the script.
REFRESH_SECONDS = 3


class ImportForm(FlaskForm):
    """A spreadsheet of past screenings, and whether only to check it."""

    file = FileField(_l("Spreadsheet (CSV or XLSX)"),
                     validators=[FileRequired(_l("Choose a file."))],
                     render_kw={"accept": f".csv,.xlsx,text/csv,{XLSX_TYPE}"})
    dry_run = BooleanField(_l("Only check the file (dry run): write nothing"))


def _page(form: ImportForm, status: int = 200):
    return render_template(
        "coordination/import.html", form=form, columns=screening_import.COLUMNS,
        jobs=jobs.recent(), max_rows=screening_import.MAX_ROWS,
        max_mb=screening_import.MAX_BYTES // (1024 * 1024),
        default_time=screening_import.DEFAULT_START_TIME,
    ), status


@bp.get("/import")
def import_page():
    """The upload form, the column layout and the latest imports."""
    return _page(ImportForm(formdata=None))


@bp.post("/import")
def upload_import():
    """Store the file on a new job, start checking it in the background, show the job."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    upload = form.file.data
    # One byte over the limit is enough to know the file is too large.
    content = upload.read(screening_import.MAX_BYTES + 1)
    try:
        job = jobs.create(current_user, upload.filename or "", content, form.dry_run.data)
    except screening_import.FileRefused as exc:
        form.file.errors = [*form.file.errors, *(str(problem) for problem in exc.problems)]
        return _page(form, 422)
    db.session.commit()
    jobs.start(job.id)
    return redirect(url_for("coordination.import_job", job_id=job.id))


def _job(job_id: int):
    job = jobs.get(job_id)  # NotFound answers 404
    if jobs.expire_if_stale(job):
        db.session.commit()
    return job


@bp.get("/import/<int:job_id>")
def import_job(job_id: int):
    """A job's progress while it runs, its row-by-row report once it ends."""
    job = _job(job_id)
    report = screening_import.Report.from_json(job.report)
    progress = jobs.progress(job)
    return render_template(
        "coordination/import_job.html", job=job, report=report, progress=progress,
        refresh=REFRESH_SECONDS if not progress["finished"] else None,
        rows=report.sorted_rows() if report else [], counts=report.counts if report else {},
    )


@bp.get("/import/<int:job_id>/progress")
def import_progress(job_id: int):
    """The job's progress as JSON, for the page's script."""
    job = _job(job_id)
    response = jsonify(jobs.progress(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/import/template.<any(csv, xlsx):fmt>")
def import_template(fmt: str):
    """The template to fill in: the header row and an example row."""
    if fmt == "csv":
        body, mimetype = screening_import.template_csv(), "text/csv"
    else:
        body, mimetype = screening_import.template_xlsx(), XLSX_TYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="past-screenings-template.{fmt}"'
    return response
