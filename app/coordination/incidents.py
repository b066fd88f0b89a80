"""The incident log for coordinators: every collective's incidents, with filters."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..models import IncidentKind
from ..organiser.forms import INCIDENT_KIND_LABELS, options
from ..services import incidents as incident_log
from .blueprint import bp
from .forms import IncidentFilterForm

PER_PAGE = 50


@bp.get("/incidents")
def incidents():
    """Threats, harassment, venue pressure and disruption reported by members."""
    form = IncidentFilterForm(formdata=request.args)
    collectives = incident_log.collectives_for_filter()
    form.collective.choices = options([("", _("All collectives")),
                                       *((c.slug, c.name) for c in collectives)])
    page = rows = None
    if form.validate():
        by_slug = {c.slug: c for c in collectives}
        chosen = by_slug.get(form.collective.data or "")
        page = db.paginate(
            incident_log.visible_query(
                current_user, collective_id=chosen.id if chosen else None,
                kind=IncidentKind(form.kind.data) if form.kind.data else None,
            ),
            per_page=PER_PAGE, error_out=False,
        )
        rows = incident_log.rows_for(page.items)
    filters = {name: request.args[name] for name in form._fields if request.args.get(name)}
    return render_template("coordination/incidents.html", form=form, page=page, rows=rows,
                           filters=filters, kinds=INCIDENT_KIND_LABELS), \
        422 if form.errors else 200
