"""CSV exports for organisers: their collectives' contributions and money breakdowns."""

from flask_login import current_user

from ..coordination.exports import breakdown_export, contributions_export
from ..services import exports
from .blueprint import bp


@bp.get("/money/export/contributions.csv")
def export_contributions():
    """The contributions of the user's collectives' screenings as CSV."""
    return contributions_export(exports.organiser_scope(current_user))


@bp.get("/money/export/<group_by>.csv")
def export_breakdown(group_by: str):
    """The user's collectives' money by one dimension, as CSV."""
    return breakdown_export(group_by, exports.organiser_scope(current_user))
