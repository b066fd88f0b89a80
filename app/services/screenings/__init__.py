"""Screenings: registering and editing them, their lifecycle, and the queries pages use.

Functions flush; the caller commits. Everything is importable from here; the modules
split the work: registry (create, update), lifecycle (transitions), queries (finding).
"""

from ..errors import NotFound, TransitionError, ValidationFailed
from . import search
from .lifecycle import (
    ALLOWED_FROM,
    MAX_ATTENDANCE,
    MAX_NOTE,
    allowed_actions,
    cancel,
    ensure_allowed,
    mark_held,
    postpone,
    publish,
    relocate,
    reschedule,
    submit,
)
from .queries import (
    RUNNING_GRACE,
    all_query,
    awaiting_approval,
    for_collectives_query,
    get_editable,
    get_public,
    past_query,
    upcoming_query,
)
from .registry import MAX_LENGTHS, ScreeningInput, _snapshot, create, input_from, update

__all__ = [
    "ALLOWED_FROM",
    "MAX_ATTENDANCE",
    "MAX_LENGTHS",
    "MAX_NOTE",
    "RUNNING_GRACE",
    "NotFound",
    "ScreeningInput",
    "TransitionError",
    "ValidationFailed",
    "_snapshot",
    "all_query",
    "allowed_actions",
    "awaiting_approval",
    "cancel",
    "create",
    "ensure_allowed",
    "for_collectives_query",
    "get_editable",
    "get_public",
    "input_from",
    "mark_held",
    "past_query",
    "postpone",
    "publish",
    "relocate",
    "reschedule",
    "search",
    "submit",
    "upcoming_query",
    "update",
]
