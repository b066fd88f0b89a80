"""The organisers' blueprint and what its route modules share."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("organiser", __name__)

STALE_MESSAGE = ("Someone changed this screening since you opened it. Your changes were not "
                 "saved: check the current version below and make them again.")


@bp.before_request
@login_required
def require_login():
    """Every organiser page needs a logged-in user."""

