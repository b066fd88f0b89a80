"""Organisers' screening pages: the list, registering, the screening page, editing."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..form_errors import show_field_errors
from ..services import (
    catalogue,
    charts,
    cities,
    incidents,
    ledger,
    localtime,
    memberships,
    money,
    permissions,
    screenings,
)
from ..services.errors import ValidationFailed
from .blueprint import STALE_MESSAGE, bp
from .forms import (
    CANCEL_REASON_LABELS,
    CHANNEL_LABELS,
    STATE_LABELS,
    ActionForm,
    CancelForm,
    HeldForm,
    PostponeForm,
    RelocateForm,
    RescheduleForm,
    ScreeningForm,
    options,
)
from .text_forms import fill_texts, save_texts


def _fill_choices(form: ScreeningForm) -> None:
    """Options for the selects, from the database and the gazetteer."""
    form.film.choices = options((f.slug, f.title) for f in catalogue.films())
    form.beneficiary.choices = options((b.slug, b.name) for b in catalogue.beneficiaries())
    form.collective.choices = options(
        (c.slug, c.name) for c in permissions.collectives_for_new_screening(current_user)
    )
    form.country.choices = options([("", _("Choose a country")), *cities.country_choices()])


def _input_from(form: ScreeningForm) -> screenings.ScreeningInput:
    return screenings.ScreeningInput(
        film=form.film.data, collective=form.collective.data, city=form.city.data,
        country=form.country.data, venue_name=form.venue_name.data,
        venue_address=form.venue_address.data or "", visibility=form.visibility.data,
        starts_at=form.starts_at.data, beneficiary=form.beneficiary.data,
        purpose=form.purpose.data, title=form.title.data or "",
        description=form.description.data or "", language=form.language.data or "",
        subtitles=form.subtitles.data or "", goal_amount=form.goal_amount.data or "",
        goal_currency=form.goal_currency.data or "", locale=str(get_locale()),
    )


def _form_page(form: ScreeningForm, screening=None):
    status = 422 if form.errors else 200
    return render_template(
        "organiser/screening_form.html", form=form, screening=screening,
        known_cities=cities.known_cities(), currencies=sorted(money.known_currencies()),
        city_timezone=cities.timezone_for(form.city.data, form.country.data),
    ), status


def screening_page(screening_id: int, submitted: dict | None = None):
    """The screening page; `submitted` holds a lifecycle form sent with errors (answers 422)."""
    item = screenings.get_editable(screening_id, current_user)
    allowed = screenings.allowed_actions(item, current_user)
    local_start = localtime.to_local(item.starts_at, item.timezone).replace(tzinfo=None)
    # formdata=None: on a POST that failed elsewhere, these forms start fresh, not from it.
    forms = {
        "postpone": PostponeForm(formdata=None),
        "reschedule": RescheduleForm(formdata=None, starts_at=local_start),
        "relocate": RelocateForm(formdata=None, visibility=item.venue.visibility.value),
        "cancel": CancelForm(formdata=None),
        "held": HeldForm(formdata=None),
    }
    forms.update(submitted or {})
    contributions = ledger.contributions_of(item.fundraiser.id)
    return render_template(
        "organiser/screening.html", screening=item, action_form=ActionForm(), forms=forms,
        allowed=allowed, total=ledger.totals_for_fundraiser(item.fundraiser.id),
        contributions=contributions, open_form=next(iter(submitted or {}), None),
        may_read_incidents=incidents.can_read(current_user),
        reason_labels=CANCEL_REASON_LABELS, channel_labels=CHANNEL_LABELS,
        state_labels=STATE_LABELS, state_names=charts.STATE_NAMES,
    ), 422 if submitted else 200


@bp.get("/")
def index():
    """The screenings of the user's collectives (coordinators: every screening)."""
    if current_user.is_coordinator:
        query = screenings.all_query()
    else:
        query = screenings.for_collectives_query(permissions.member_collective_ids(current_user))
    page = db.paginate(query, per_page=50, error_out=False)
    can_create = bool(permissions.collectives_for_new_screening(current_user))
    return render_template("organiser/index.html", page=page, can_create=can_create,
                           managed=memberships.managed_collectives(current_user))


@bp.route("/screenings/new", methods=["GET", "POST"])
def new_screening():
    """Register a screening with its fundraiser, as a draft."""
    form = ScreeningForm()
    _fill_choices(form)
    if not form.collective.choices:
        abort(403)
    if request.method == "GET" and len(form.collective.choices) == 1:
        form.collective.data = form.collective.choices[0].value
    if form.validate_on_submit():
        try:
            screening = screenings.create(_input_from(form), current_user)
            save_texts(form, screening)  # same transaction: all of it or nothing
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Screening saved as a draft. Submit it for approval when it is ready."),
                  "success")
            return redirect(url_for("organiser.screening", screening_id=screening.id))
    return _form_page(form)


@bp.get("/screenings/<int:screening_id>")
def screening(screening_id: int):
    """One screening with its fundraiser, contributions, history and the next steps."""
    return screening_page(screening_id)


@bp.route("/screenings/<int:screening_id>/edit", methods=["GET", "POST"])
def edit_screening(screening_id: int):
    """Change a screening and its fundraiser; refuses a stale copy."""
    item = screenings.get_editable(screening_id, current_user)
    if request.method == "GET":
        form = ScreeningForm(obj=screenings.input_from(item, str(get_locale())),
                             version=item.version_id)
        fill_texts(form, item.texts)
    else:
        form = ScreeningForm()
    _fill_choices(form)
    if form.validate_on_submit():
        if str(form.version.data) != str(item.version_id):
            flash(str(STALE_MESSAGE), "error")
            return redirect(url_for("organiser.screening", screening_id=item.id))
        try:
            screenings.update(item, _input_from(form), current_user)
            save_texts(form, item)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_errors(form, exc)
        except StaleDataError:
            db.session.rollback()
            flash(str(STALE_MESSAGE), "error")
            return redirect(url_for("organiser.screening", screening_id=screening_id))
        else:
            flash(_("Screening updated."), "success")
            return redirect(url_for("organiser.screening", screening_id=item.id))
    return _form_page(form, item)
