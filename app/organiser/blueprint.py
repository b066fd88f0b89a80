"""The organisers' blueprint and what its route modules share."""

from flask import Blueprint, flash
from flask_login import login_required

from ..services.errors import ValidationFailed

bp = Blueprint("organiser", __name__)

STALE_MESSAGE = ("Someone changed this screening since you opened it. Your changes were not "
                 "saved: check the current version below and make them again.")


@bp.before_request
@login_required
def require_login():
    """Every organiser page needs a logged-in user."""


def show_field_errors(form, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form's fields (or flash those it has no field for)."""
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")
