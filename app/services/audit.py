"""The append-only audit trail: who changed what, with the values before and after."""

from typing import Any

from flask import has_request_context, request

from ..extensions import db
from ..models import AuditEvent, User


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
