"""Reporting incidents (members of the host collective) and reading them (its admins)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..form_errors import show_field_errors
from ..services import incidents
from ..services.errors import ValidationFailed
from .blueprint import bp
from .forms import INCIDENT_KIND_LABELS, IncidentForm


def _subject() -> incidents.Subject | None:
    """The subject named in the query string; None when none is named. 404 for a bad one."""
    screening_id = request.args.get("screening", "")
    slug = request.args.get("collective", "")
    if screening_id:
        if not (screening_id.isascii() and screening_id.isdigit() and len(screening_id) < 10):
            abort(404)
        return incidents.subject_for(current_user, screening_id=int(screening_id))
    if slug:
        return incidents.subject_for(current_user, collective_slug=slug[:80])
    return None


@bp.route("/incidents/new", methods=["GET", "POST"])
def new_incident():
    """Report a threat, harassment, pressure or disruption against a screening or collective."""
    subject = _subject()
    if subject is None:
        choices = incidents.reportable_collectives(current_user)
        if not choices:
            abort(404)
        return render_template("organiser/incident_subjects.html", collectives=choices)
    form = IncidentForm()
    if form.validate_on_submit():
        try:
            incidents.report(current_user, subject, kind=form.kind.data,
                             description=form.description.data)
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_errors(form, exc)
            subject = _subject()
        else:
            db.session.commit()
            flash(_("Thank you. The report is saved."), "success")
            return redirect(url_for("organiser.incident_reported"))
    if subject.screening is not None:
        action = url_for("organiser.new_incident", screening=subject.screening.id)
    else:
        action = url_for("organiser.new_incident", collective=subject.collective.slug)
    return render_template("organiser/incident_form.html", form=form, subject=subject,
                           action=action), 422 if form.errors else 200


@bp.get("/incidents/reported")
def incident_reported():
    """The confirmation after a report; it shows nothing of any report."""
    return render_template("organiser/incident_reported.html",
                           may_read=incidents.can_read(current_user))


@bp.get("/incidents")
def incident_list():
    """The incidents of the collectives this person administers (coordinators: all of them)."""
    if current_user.is_coordinator:
        return redirect(url_for("coordination.incidents"))
    page = db.paginate(incidents.visible_query(current_user), per_page=50, error_out=False)
    return render_template("organiser/incidents.html", page=page,
                           rows=incidents.rows_for(page.items), kinds=INCIDENT_KIND_LABELS)
