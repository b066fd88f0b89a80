"""The organisers' blueprint and what its route modules share."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import login_required

bp = Blueprint("organiser", __name__)

# Lazy: read in the reader's language; flash() needs str(STALE_MESSAGE) (the session is JSON).
STALE_MESSAGE = _l("Someone changed this screening since you opened it. Your changes were not "
                   "saved: check the current version below and make them again.")


@bp.before_request
@login_required
def require_login():
    """Every organiser page needs a logged-in user."""

