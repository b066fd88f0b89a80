"""Operational tables: data revisions for caches, API idempotency keys, spreadsheet imports."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, UTCDateTime, enum_column


class Revision(db.Model):
    """A counter per kind of data, raised in the same transaction as every change to it.

    Caches (of whole public pages, of dashboard figures) key on it, so that every instance
    sees a change as soon as it is committed; services/revisions.py keeps it.
    """

    __tablename__ = "revisions"

    scope: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class IdempotencyKey(TimestampMixin, db.Model):
    """An API POST's Idempotency-Key and the answer it got, so that a retry gets the same
    answer instead of recording the thing twice. A row without a status is in flight."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(255))
    method: Mapped[str] = mapped_column(sa.String(10))
    path: Mapped[str] = mapped_column(sa.String(500))
    # SHA-256 of the request body: the same key with another body is the client's mistake.
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    # Headers worth replaying (Location, ETag), as JSON.
    response_headers: Mapped[str | None] = mapped_column(sa.Text)


class ImportStatus(enum.StrEnum):
    """Where a spreadsheet import stands."""

    PENDING = "pending"  # stored, not yet read
    CHECKING = "checking"  # rows being validated (progress counts them)
    INVALID = "invalid"  # at least one row refused: nothing was written
    CHECKED = "checked"  # a dry run with every row valid: nothing was written
    IMPORTING = "importing"
    DONE = "done"  # every row written
    FAILED = "failed"  # an unexpected error: nothing was written


class ImportJob(TimestampMixin, db.Model):
    """One uploaded spreadsheet of past screenings, its progress and its row-by-row report."""

    __tablename__ = "import_jobs"

    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    file_format: Mapped[str] = mapped_column(sa.String(10))  # "csv" or "xlsx"
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # cleared once finished
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "import_status"), default=ImportStatus.PENDING
    )
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    # The report, as JSON: one entry per row with its outcome and reasons.
    report: Mapped[str | None] = mapped_column(sa.Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by: Mapped["User | None"] = relationship()  # noqa: F821
