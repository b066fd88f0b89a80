"""Private records of threats against screenings, and the append-only audit trail."""

import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, enum_column


class IncidentKind(enum.StrEnum):
    """What happened."""

    THREAT = "threat"
    HARASSMENT = "harassment"
    VENUE_PRESSURE = "venue_pressure"
    DISRUPTION = "disruption"
    OTHER = "other"


class Incident(TimestampMixin, db.Model):
    """A threat or disruption; readable only by coordinators and the collective's admins."""

    __tablename__ = "incidents"

    screening_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("screenings.id", ondelete="CASCADE"), index=True
    )
    collective_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[IncidentKind] = mapped_column(enum_column(IncidentKind, "incident_kind"))
    description: Mapped[str] = mapped_column(sa.Text)
    reported_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    reported_by: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint(
            "screening_id IS NOT NULL OR collective_id IS NOT NULL", name="has_subject"
        ),
    )


class AuditEvent(TimestampMixin, db.Model):
    """Who did what to which object, with the values before and after. Never updated."""

    __tablename__ = "audit_events"

    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None] = mapped_column()
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    actor: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)
