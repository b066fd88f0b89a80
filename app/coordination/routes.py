"""Coordinators' pages: the fundraising total and the approval queue; the audit log and the
incident log live in their own modules on the same blueprint."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..organiser.forms import ActionForm
from ..services import ledger, screenings
from ..services.errors import TransitionError
from . import (  # noqa: F401  (registers their routes)
    audit_log,
    exports,
    films,
    imports,
    incidents,
    money,
    rates,
)
from .blueprint import bp

__all__ = ["bp"]


@bp.get("/")
def index():
    """Totals across the tour, per currency and in the base currency, and the approval queue."""
    return render_template(
        "coordination/index.html", totals=ledger.totals(), queue=screenings.awaiting_approval(),
        action_form=ActionForm(),
    )


@bp.post("/screenings/<int:screening_id>/publish")
def publish(screening_id: int):
    """Approve a submitted screening, which makes it public."""
    item = screenings.get_editable(screening_id, current_user)
    if ActionForm().validate_on_submit():
        try:
            screenings.publish(item, current_user)
        except TransitionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Published: %(title)s in %(city)s.", title=item.display_title,
                    city=item.city.name), "success")
    return redirect(url_for("coordination.index"))
