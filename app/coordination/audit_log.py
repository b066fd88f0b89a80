"""The audit log page: every recorded action, newest first, with filters."""

from flask import render_template, request

from ..extensions import db
from ..services import audit
from ..services.errors import ValidationFailed
from .blueprint import bp
from .forms import AuditFilterForm

PER_PAGE = 50


@bp.get("/audit")
def audit_log():
    """Who did what, when, from where, with the values before and after."""
    form = AuditFilterForm(formdata=request.args)
    page = None
    if form.validate():
        try:
            query = audit.search(audit.AuditFilter(
                actor_email=form.actor.data or "", action=form.action.data or "",
                object_type=form.object_type.data or "", object_id=form.object_id.data,
                date_from=form.date_from.data, date_to=form.date_to.data,
            ))
        except ValidationFailed as exc:
            for name, message in exc.fields.items():
                form[name].errors = [*form[name].errors, message]
        else:
            page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    # The pager repeats the filters as they were typed; only the form's own fields.
    filters = {name: request.args[name] for name in form._fields if request.args.get(name)}
    return render_template("coordination/audit.html", form=form, page=page,
                           filters=filters), 422 if form.errors else 200
