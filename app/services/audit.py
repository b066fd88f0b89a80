"""The append-only audit trail: who changed what, with the values before and after."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, selectinload

from ..extensions import db
from ..models import AuditEvent, User
from .errors import DomainError, ValidationFailed


class AuditLogIsAppendOnly(DomainError):
    """Something tried to change or remove an audit event."""


def record(
    actor: User | None,
    action: str,
    obj: Any = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Add an audit event for an action on an object (never passwords, tokens or addresses)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "none",
        object_id=getattr(obj, "id", None),
        before=_jsonable(before),
        after=_jsonable(after),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def _jsonable(values: dict | None) -> dict | None:
    """Values as JSON-safe primitives (enums, dates and decimals become strings)."""
    if values is None:
        return None
    return {
        key: value if value is None or isinstance(value, bool | int | float) else str(value)
        for key, value in values.items()
    }


# --- append-only ----------------------------------------------------------------------------
# The ORM refuses to update or delete an event, one by one or in bulk. Plain SQL on a
# connection still can (the tests empty every table that way); the database user of a
# deployment is where that door is closed.


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(f"Audit event {target.id} cannot be changed.")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(f"Audit event {target.id} cannot be deleted.")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is AuditEvent:
        raise AuditLogIsAppendOnly("Audit events cannot be changed or deleted.")


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What a coordinator narrows the audit log to; empty values do not filter."""

    actor_email: str = ""
    action: str = ""  # a prefix: "screening." matches every screening action
    object_type: str = ""
    object_id: int | None = None
    date_from: date | None = None  # UTC days, both ends included
    date_to: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def search(filters: AuditFilter):
    """A select of matching events, newest first, actors loaded; field errors for bad filters."""
    errors: dict[str, str] = {}
    query = select(AuditEvent).options(selectinload(AuditEvent.actor))
    email = filters.actor_email.strip().lower()
    if email:
        actor_id = db.session.scalar(select(User.id).where(User.email == email))
        if actor_id is None:
            errors["actor"] = _("No account has this email address.")
        query = query.where(AuditEvent.actor_id == actor_id)
    if filters.action.strip():
        # autoescape: "_" in "auth.password_ok" must not act as a LIKE wildcard.
        query = query.where(AuditEvent.action.startswith(filters.action.strip(),
                                                         autoescape=True))
    if filters.object_type.strip():
        query = query.where(AuditEvent.object_type == filters.object_type.strip().lower())
    if filters.object_id is not None:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["date_to"] = _("The end date must not be before the start date.")
    if filters.date_from:
        query = query.where(AuditEvent.created_at >= _day_start(filters.date_from))
    if filters.date_to and filters.date_to < date.max:  # date.max + 1 day overflows
        query = query.where(
            AuditEvent.created_at < _day_start(filters.date_to + timedelta(days=1))
        )
    if errors:
        raise ValidationFailed(errors)
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
