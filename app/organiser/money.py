"""The organisers' share of the money dashboard: the same figures, limited to the collectives
the person belongs to (coordinators included: their own memberships, if any)."""

from flask_babel import gettext as _
from flask_login import current_user

from ..coordination.money import render_money_page
from ..services import permissions
from .blueprint import bp


@bp.get("/money")
def money():
    """What the user's collectives raised, and how much reached the beneficiaries."""
    scope = frozenset(permissions.member_collective_ids(current_user))
    return render_money_page(scope=scope, endpoint="organiser.money",
                             heading=_("Money of my collectives"),
                             export_base="/organiser/money/export",
                             all_collectives=_("All my collectives"))
