"""Organisers' money pages: record a contribution, correct one opened at a known version."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..form_errors import show_field_errors
from ..services import ledger, money, screenings
from ..services.errors import ValidationFailed
from .blueprint import bp
from .forms import STATE_LABELS, ContributionEditForm, ContributionForm


def _form_page(form, screening, contribution=None):
    return render_template(
        "organiser/contribution_form.html", form=form, screening=screening,
        contribution=contribution, currencies=sorted(money.known_currencies()),
        state_labels=STATE_LABELS,
    ), 422 if form.errors else 200


@bp.route("/screenings/<int:screening_id>/contributions/new", methods=["GET", "POST"])
def new_contribution(screening_id: int):
    """Record money raised for the screening's fundraiser."""
    item = screenings.get_editable(screening_id, current_user)
    form = ContributionForm()
    if request.method == "GET":
        form.currency.data = item.fundraiser.goal_currency or ledger.base_currency()
    if form.validate_on_submit():
        try:
            ledger.record_contribution(
                item.fundraiser, current_user, amount=form.amount.data,
                currency=form.currency.data, received_on=form.received_on.data,
                channel=form.channel.data, state=form.state.data, note=form.note.data or "",
                transfer_reference=form.transfer_reference.data or "",
                transferred_on=form.transferred_on.data, locale=str(get_locale()),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Contribution recorded."), "success")
            return redirect(url_for("organiser.screening", screening_id=item.id))
    return _form_page(form, item)


@bp.route("/screenings/<int:screening_id>/contributions/<int:contribution_id>/edit",
          methods=["GET", "POST"])
def edit_contribution(screening_id: int, contribution_id: int):
    """Correct a contribution; a copy opened before someone else's save changes nothing."""
    item = screenings.get_editable(screening_id, current_user)
    contribution = ledger.get_contribution(item.fundraiser, contribution_id)
    if request.method == "GET":
        form = ContributionEditForm(
            obj=contribution, version=contribution.version_id,
            amount=money.format_input(contribution.amount_minor, contribution.currency,
                                      str(get_locale())),
        )
    else:
        form = ContributionEditForm()
    if form.validate_on_submit():
        try:
            changed = ledger.update_contribution(
                contribution, current_user, version=form.version.data,
                amount=form.amount.data, currency=form.currency.data,
                received_on=form.received_on.data, channel=form.channel.data,
                state=form.state.data, transfer_reference=form.transfer_reference.data or "",
                note=form.note.data or "", reason=form.reason.data or "",
                transferred_on=form.transferred_on.data, locale=str(get_locale()),
            )
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_errors(form, exc)
            # Reloaded after the rollback, so that the page runs no queries.
            item = screenings.get_editable(screening_id, current_user)
            contribution = ledger.get_contribution(item.fundraiser, contribution_id)
        except ledger.StaleEdit as exc:
            db.session.rollback()
            flash(_("%(problem)s Your changes were not saved: check the current figures below "
                    "and make them again.", problem=str(exc)), "error")
            return redirect(request.path)
        else:
            flash(_("Contribution updated.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("organiser.screening", screening_id=item.id))
    return _form_page(form, item, contribution)
