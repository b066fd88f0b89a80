"""POST /api/v1/screenings/{id}/transitions: one lifecycle step (DESIGN.md section 4), mapped
to the lifecycle functions with the same rules as the organiser pages."""

from flask import jsonify
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Screening, User
from ..services import screenings
from ..services.errors import ValidationFailed
from . import items
from .blueprint import bp
from .bodies import parse_body
from .errors import ApiError
from .idempotency import idempotent
from .screening_bodies import TransitionIn, body_fields, parse_local_time
from .screenings import STALE, check_version, editable_for

# Which body fields each kind of step reads besides `to`.
USES = {
    "submit": set(), "publish": set(), "postpone": {"note"}, "reschedule": {"starts_at", "note"},
    "relocate": {"venue", "note"}, "cancel": {"reason", "note"}, "held": {"attendance"},
}
OPTIONAL = {"note", "attendance"}
INVALID = "Some fields are not acceptable; see fields."


def action_for(body: TransitionIn) -> str:
    """The lifecycle action a body asks for; 422 when its fields do not fit one."""
    sent = body.model_fields_set - {"to"}
    if body.to == "submitted":
        action = "submit"
    elif body.to == "published":
        action = "reschedule" if "starts_at" in sent else "publish"
    elif body.to == "relocated":
        if "starts_at" in sent and "venue" in sent:
            raise ApiError(422, "validation_failed", INVALID,
                           {"starts_at": "Change the date and the venue in two steps."})
        action = "reschedule" if "starts_at" in sent else "relocate"
    elif body.to == "postponed":
        action = "postpone"
    elif body.to == "cancelled":
        action = "cancel"
    else:
        action = "held"
    needed = USES[action] - OPTIONAL
    fields = {name: "Not used by this transition." for name in sent - USES[action]}
    fields.update({name: "This field is required." for name in needed
                   if getattr(body, name) is None})
    if fields:
        raise ApiError(422, "validation_failed", INVALID, fields)
    return action


def apply(item: Screening, user: User, action: str, body: TransitionIn) -> None:
    """Run the lifecycle function for the action (it checks permission and state)."""
    note = body.note or ""
    if action == "submit":
        screenings.submit(item, user)
    elif action == "publish":
        screenings.publish(item, user)
    elif action == "postpone":
        screenings.postpone(item, user, note)
    elif action == "reschedule":
        screenings.reschedule(item, user, parse_local_time(body.starts_at), note)
    elif action == "relocate":
        venue = body.venue
        screenings.relocate(item, user, venue_name=venue.name, venue_address=venue.address,
                            visibility=venue.visibility, note=note)
    elif action == "cancel":
        screenings.cancel(item, user, body.reason, note)
    else:
        screenings.mark_held(item, user, attendance=body.attendance)


@bp.post("/screenings/<int:screening_id>/transitions")
@idempotent
def create_transition(screening_id: int):
    """Move the screening to another state; 200 with the item, 409 when the state forbids it."""
    item, user = editable_for(screening_id)
    check_version(item)
    body = parse_body(TransitionIn)
    action = action_for(body)
    if action == "publish" and not user.is_coordinator:
        raise ApiError(403, message="Only coordinators can publish screenings.")
    try:
        apply(item, user, action, body)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        raise ApiError(422, "validation_failed", INVALID, body_fields(exc.fields)) from None
    except StaleDataError:
        db.session.rollback()
        raise ApiError(409, "stale", STALE) from None
    response = jsonify(items.screenings([item], items.Viewer.of(user))[0])
    response.headers["ETag"] = f'"{item.version_id}"'
    return response
