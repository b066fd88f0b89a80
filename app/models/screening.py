"""The screening: a film shown in a city, hosted by collectives, paired with a fundraiser."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, UTCDateTime, enum_column, utcnow


class Status(enum.StrEnum):
    """Lifecycle states (DESIGN.md section 4)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    POSTPONED = "postponed"
    RELOCATED = "relocated"
    HELD = "held"
    CANCELLED = "cancelled"


# States the public may see; drafts and submissions stay private.
PUBLIC_STATUSES = (Status.PUBLISHED, Status.POSTPONED, Status.RELOCATED, Status.HELD,
                   Status.CANCELLED)


class CancelReason(enum.StrEnum):
    """Why a screening was cancelled; private to the hosts and coordinators."""

    VENUE_WITHDRAWN = "venue_withdrawn"
    THREATS = "threats"
    ORGANISER_UNAVAILABLE = "organiser_unavailable"
    LOW_INTEREST = "low_interest"
    OTHER = "other"


# Which collectives host a screening (usually one, sometimes several together).
screening_hosts = sa.Table(
    "screening_hosts",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("screening_id", sa.ForeignKey("screenings.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "collective_id", sa.ForeignKey("collectives.id", ondelete="CASCADE"), nullable=False,
        index=True,
    ),
    sa.Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    sa.Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    sa.UniqueConstraint("screening_id", "collective_id"),
)


class Screening(TimestampMixin, db.Model):
    """One showing of a film; starts_at is UTC, timezone is the city's IANA zone."""

    __tablename__ = "screenings"

    film_id: Mapped[int] = mapped_column(sa.ForeignKey("films.id"), index=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[Status] = mapped_column(
        enum_column(Status, "screening_status"), default=Status.DRAFT, index=True
    )
    title: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str | None] = mapped_column(sa.String(35))
    subtitles: Mapped[str | None] = mapped_column(sa.String(35))
    expected_attendance: Mapped[int | None] = mapped_column()
    actual_attendance: Mapped[int | None] = mapped_column()
    cancel_reason: Mapped[CancelReason | None] = mapped_column(
        enum_column(CancelReason, "cancel_reason")
    )
    cancel_note: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # iCalendar SEQUENCE: raised when the date or place changes or the screening is cancelled.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # Raised on every update: two edits from the same stale copy cannot both win.
    version_id: Mapped[int] = mapped_column(default=1)

    film: Mapped["Film"] = relationship()  # noqa: F821
    city: Mapped["City"] = relationship()  # noqa: F821
    venue: Mapped["Venue"] = relationship()  # noqa: F821
    collectives: Mapped[list["Collective"]] = relationship(  # noqa: F821
        secondary=screening_hosts, order_by="Collective.name"
    )
    fundraiser: Mapped["Fundraiser"] = relationship(  # noqa: F821
        back_populates="screening", uselist=False, cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        sa.CheckConstraint(
            "expected_attendance IS NULL OR expected_attendance >= 0", name="expected_attendance"
        ),
        sa.CheckConstraint(
            "actual_attendance IS NULL OR actual_attendance >= 0", name="actual_attendance"
        ),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancel_reason IS NOT NULL)", name="cancelled_has_reason"
        ),
    )

    changes: Mapped[list["ScreeningChange"]] = relationship(
        back_populates="screening", order_by="ScreeningChange.id", cascade="all, delete-orphan"
    )

    @property
    def display_title(self) -> str:
        """The screening's own title, or the film's."""
        return self.title or self.film.title

    def __repr__(self) -> str:
        return f"<Screening {self.id} {self.status}>"


class ChangeKind(enum.StrEnum):
    """What kind of move a screening went through."""

    POSTPONED = "postponed"
    RESCHEDULED = "rescheduled"
    RELOCATED = "relocated"


class ScreeningChange(TimestampMixin, db.Model):
    """A postponement, new date or new venue; old venues stay referenced here (history)."""

    __tablename__ = "screening_changes"

    screening_id: Mapped[int] = mapped_column(
        sa.ForeignKey("screenings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind, "screening_change_kind"))
    from_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    to_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    from_venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"))
    to_venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    screening: Mapped[Screening] = relationship(back_populates="changes")
    from_venue: Mapped["Venue | None"] = relationship(foreign_keys=[from_venue_id])  # noqa: F821
    to_venue: Mapped["Venue | None"] = relationship(foreign_keys=[to_venue_id])  # noqa: F821
