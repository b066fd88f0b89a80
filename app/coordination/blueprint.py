"""The coordinators' blueprint: every page needs a coordinator or an admin."""

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("coordination", __name__)


@bp.before_request
@login_required
def require_coordinator():
    """Only coordinators and admins work here."""
    if not current_user.is_coordinator:
        abort(403)
