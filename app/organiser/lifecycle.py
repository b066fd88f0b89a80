"""Organisers' lifecycle actions: submit, postpone, reschedule, relocate, cancel, mark held.

Each is a POST with its own form. A refused transition comes back as a message on the
screening page; a form with bad input shows the page again with the errors (422).
"""

from collections.abc import Callable

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..form_errors import show_field_errors
from ..services import screenings
from ..services.errors import TransitionError, ValidationFailed
from .blueprint import STALE_MESSAGE, bp
from .forms import ActionForm, CancelForm, HeldForm, PostponeForm, RelocateForm, RescheduleForm
from .screenings import screening_page


def _act(screening_id: int, action: str, form: FlaskForm, change: Callable, success: str):
    """Check the action is allowed, validate the form, apply the change, commit once."""
    item = screenings.get_editable(screening_id, current_user)
    back = redirect(url_for("organiser.screening", screening_id=item.id))
    try:
        screenings.ensure_allowed(item, current_user, action)
    except TransitionError as exc:
        flash(str(exc), "error")
        return back
    if not form.validate_on_submit():
        return screening_page(item.id, {action: form})
    try:
        change(item, form)
        db.session.commit()
    except TransitionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except ValidationFailed as exc:
        db.session.rollback()
        show_field_errors(form, exc)
        return screening_page(screening_id, {action: form})
    except StaleDataError:
        db.session.rollback()
        flash(str(STALE_MESSAGE), "error")
    else:
        flash(success, "success")
    return back


@bp.post("/screenings/<int:screening_id>/submit")
def submit(screening_id: int):
    """Send a draft for approval (trusted collectives publish at once)."""
    return _act(screening_id, "submit", ActionForm(),
                lambda item, _form: screenings.submit(item, current_user),
                _("Submitted. It will be public once it is published."))


@bp.post("/screenings/<int:screening_id>/postpone")
def postpone(screening_id: int):
    """Put the screening off; the new date is announced later."""
    return _act(screening_id, "postpone", PostponeForm(),
                lambda item, form: screenings.postpone(item, current_user, form.note.data),
                _("Postponed. The public page says a new date will be announced."))


@bp.post("/screenings/<int:screening_id>/reschedule")
def reschedule(screening_id: int):
    """Give the screening its new date."""
    return _act(
        screening_id, "reschedule", RescheduleForm(),
        lambda item, form: screenings.reschedule(item, current_user, form.starts_at.data,
                                                 form.note.data),
        _("New date saved. The public page shows it beside the old one."),
    )


@bp.post("/screenings/<int:screening_id>/relocate")
def relocate(screening_id: int):
    """Move the screening to a new venue in the same city."""
    return _act(
        screening_id, "relocate", RelocateForm(),
        lambda item, form: screenings.relocate(
            item, current_user, venue_name=form.venue_name.data,
            venue_address=form.venue_address.data or "", visibility=form.visibility.data,
            note=form.note.data,
        ),
        _("Moved to the new venue. The old one stays in the history below."),
    )


@bp.post("/screenings/<int:screening_id>/cancel")
def cancel(screening_id: int):
    """Call the screening off with a private reason."""
    return _act(
        screening_id, "cancel", CancelForm(),
        lambda item, form: screenings.cancel(item, current_user, form.reason.data,
                                             form.note.data),
        _("Screening cancelled. The public sees only that it is cancelled."),
    )


@bp.post("/screenings/<int:screening_id>/held")
def mark_held(screening_id: int):
    """Record that the screening took place."""
    return _act(
        screening_id, "held", HeldForm(),
        lambda item, form: screenings.mark_held(item, current_user,
                                                attendance=form.attendance.data),
        _("Marked as held. Remember to record what was raised."),
    )
