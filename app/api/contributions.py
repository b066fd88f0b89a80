"""POST and GET /api/v1/screenings/{id}/contributions: the money raised for a screening."""

from flask import jsonify
from sqlalchemy import Select, select

from ..extensions import db
from ..models import Contribution, Fundraiser
from ..services import ledger, screenings
from . import items
from .auth import require_user
from .blueprint import bp
from .bodies import ContributionIn, parse_body
from .idempotency import idempotent
from .pagination import page_args, paginate


def contributions_query(fundraiser: Fundraiser) -> Select:
    """A fundraiser's contributions, newest first (by day received, then as recorded)."""
    return (select(Contribution).where(Contribution.fundraiser_id == fundraiser.id)
            .order_by(Contribution.received_on.desc(), Contribution.id.desc()))


def _editable(screening_id: int):
    """The screening, if the caller may record money for it (another collective's: 404)."""
    return screenings.get_editable(screening_id, require_user())


@bp.post("/screenings/<int:screening_id>/contributions")
@idempotent
def create_contribution(screening_id: int):
    """Record a contribution; 201 with the item as stored (converted where a rate exists)."""
    screening = _editable(screening_id)
    body = parse_body(ContributionIn)
    contribution = ledger.record_contribution(
        screening.fundraiser, require_user(), amount=body.amount, currency=body.currency,
        received_on=body.received_on, channel=body.channel, state=body.state,
        note=body.note or "", transfer_reference=body.transfer_reference or "",
    )
    db.session.commit()
    return jsonify(items.contribution(contribution)), 201


@bp.get("/screenings/<int:screening_id>/contributions")
def list_contributions(screening_id: int):
    """The screening's contributions, newest first, a page at a time."""
    screening = _editable(screening_id)
    args = page_args()
    return jsonify(paginate(contributions_query(screening.fundraiser), args, items.contribution))
