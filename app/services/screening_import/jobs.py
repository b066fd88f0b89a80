"""Import jobs for the upload page: the file is stored on an ImportJob and checked in a
background thread that commits its progress in steps, then writes every row in one short
final transaction (SQLite has one writer: a long write would hold up the progress).

A job whose worker died (a restart, a crash) stops moving; after STALE_AFTER it is marked
failed, and since its rows are written in one transaction, nothing half-written remains.
"""

import threading
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import ImportJob, ImportStatus, User, utcnow
from ..errors import NotFound
from . import check, write_checked
from .checking import REFUSED
from .layout import MAX_BYTES
from .messages import N_, Message
from .reading import FileRefused, file_format, read, too_large
from .report import Report

RUNNING = (ImportStatus.PENDING, ImportStatus.CHECKING, ImportStatus.IMPORTING)
STALE_AFTER = timedelta(minutes=5)
PROGRESS_STEPS = 50  # progress commits per file, whatever its length
# Stored on the job as msgids: translated for whoever opens the job page.
STALLED = Message(N_("The import stopped without finishing (the server may have restarted); "
                     "nothing was written. Upload the file again."))
CRASHED = Message(N_("An unexpected error stopped the import; nothing was written."))
CANNOT_IMPORT = Message(N_("The account that uploaded the file can no longer import."))

_threads: dict[int, threading.Thread] = {}


def create(actor: User, filename: str, content: bytes, dry_run: bool) -> ImportJob:
    """A pending job holding the file; FileRefused for a wrong kind of file or a too large one."""
    fmt = file_format(filename)
    if len(content) > MAX_BYTES:
        raise too_large()
    job = ImportJob(created_by_id=actor.id, filename=filename[:255], file_format=fmt,
                    content=content, dry_run=dry_run, status=ImportStatus.PENDING)
    db.session.add(job)
    db.session.flush()
    return job


def get(job_id: int) -> ImportJob:
    """One job with its uploader loaded; NotFound when there is none."""
    job = db.session.scalar(select(ImportJob).options(selectinload(ImportJob.created_by))
                            .where(ImportJob.id == job_id))
    if job is None:
        raise NotFound("No such import.")
    return job


def recent(limit: int = 10) -> list[ImportJob]:
    """The latest jobs, newest first, uploaders loaded."""
    return list(db.session.scalars(
        select(ImportJob).options(selectinload(ImportJob.created_by))
        .order_by(ImportJob.id.desc()).limit(limit)
    ))


def expire_if_stale(job: ImportJob) -> bool:
    """Mark a job failed when it stopped moving for STALE_AFTER; True if it was."""
    if job.status not in RUNNING or job.updated_at > utcnow() - STALE_AFTER:
        return False
    if _finish(job.id, ImportStatus.FAILED, Report(dry_run=job.dry_run, error=STALLED),
               before=job.updated_at):
        db.session.refresh(job)
        return True
    return False


def progress(job: ImportJob) -> dict:
    """The job's progress as the page's script reads it."""
    percent = (100 * job.processed_rows // job.total_rows) if job.total_rows else 0
    return {"status": str(job.status), "total_rows": job.total_rows,
            "processed_rows": job.processed_rows, "percent": percent,
            "finished": job.status not in RUNNING}


# --- the worker ------------------------------------------------------------------------------


def start(job_id: int) -> threading.Thread:
    """Run the job in a background thread with its own app context and session."""
    app = current_app._get_current_object()
    thread = threading.Thread(target=_in_context, args=(app, job_id), daemon=True,
                              name=f"screening-import-{job_id}")
    _threads[job_id] = thread
    thread.start()
    return thread


def wait(job_id: int, timeout: float = 60) -> None:
    """Wait for a job started in this process to end (tests and the shutdown path)."""
    thread = _threads.pop(job_id, None)
    if thread is not None:
        thread.join(timeout)


def _in_context(app, job_id: int) -> None:
    try:
        with app.app_context():
            run(job_id)
    finally:
        _threads.pop(job_id, None)  # a finished thread is not waited for


def _set(job_id: int, current: ImportStatus, **values) -> bool:
    """Change a job only if it is still `current` (it may have been expired meanwhile)."""
    result = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == current)
        .values(updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _finish(job_id: int, status: ImportStatus, report: Report, before=None) -> bool:
    """End a running job with its report; False when it was no longer running."""
    condition = [ImportJob.id == job_id, ImportJob.status.in_(RUNNING)]
    if before is not None:
        condition.append(ImportJob.updated_at <= before)
    result = db.session.execute(
        update(ImportJob).where(*condition).values(
            status=status, report=report.to_json(), content=None, finished_at=utcnow(),
            updated_at=utcnow(),
        ).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def run(job_id: int) -> None:
    """Check the job's file with committed progress, then write it all or nothing."""
    try:
        _run(job_id)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Screening import %s failed", job_id)
        _finish(job_id, ImportStatus.FAILED, Report(error=CRASHED))
        db.session.commit()
    finally:
        db.session.remove()


def _run(job_id: int) -> None:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != ImportStatus.PENDING:
        return
    content, fmt, dry_run = job.content or b"", job.file_format, job.dry_run
    filename, actor_id = job.filename, job.created_by_id
    if not _set(job_id, ImportStatus.PENDING, status=ImportStatus.CHECKING):
        return
    db.session.commit()
    try:
        rows = read(content, fmt)
    except FileRefused as exc:
        _finish(job_id, ImportStatus.INVALID, Report(dry_run=dry_run, problems=exc.problems))
        db.session.commit()
        return
    _set(job_id, ImportStatus.CHECKING, total_rows=len(rows))
    db.session.commit()
    step = max(1, len(rows) // PROGRESS_STEPS)

    def checked(done: int) -> None:
        if done % step == 0 or done == len(rows):
            _set(job_id, ImportStatus.CHECKING, processed_rows=done)
            db.session.commit()

    results = check(rows, progress=checked)
    refused = any(result.outcome == REFUSED for result in results)
    if refused or dry_run:
        status = ImportStatus.INVALID if refused else ImportStatus.CHECKED
        _finish(job_id, status, Report.of(results, dry_run=dry_run, written=False))
        db.session.commit()
        return
    if not _set(job_id, ImportStatus.CHECKING, status=ImportStatus.IMPORTING):
        db.session.rollback()
        return
    db.session.commit()
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    if actor is None or not actor.is_coordinator:
        _finish(job_id, ImportStatus.FAILED,
                Report(error=CANNOT_IMPORT))
        db.session.commit()
        return
    # Every row and the job's end in one transaction: all written, or none.
    write_checked(results, actor, filename)
    if _finish(job_id, ImportStatus.DONE, Report.of(results, dry_run=False, written=True)):
        db.session.commit()
    else:
        db.session.rollback()  # the job was expired meanwhile: write nothing
