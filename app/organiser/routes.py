"""Organisers' pages: their collectives' screenings, the screening form, contributions."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..services import catalogue, cities, ledger, money, permissions, screenings
from ..services.errors import TransitionError, ValidationFailed
from .forms import ActionForm, ContributionForm, ScreeningForm, options

bp = Blueprint("organiser", __name__)

STALE_MESSAGE = ("Someone changed this screening since you opened it. Your changes were not "
                 "saved: check the current version below and make them again.")


@bp.before_request
@login_required
def require_login():
    """Every organiser page needs a logged-in user."""


def _fill_choices(form: ScreeningForm) -> None:
    """Options for the selects, from the database and the gazetteer."""
    form.film.choices = options((f.slug, f.title) for f in catalogue.films())
    form.beneficiary.choices = options((b.slug, b.name) for b in catalogue.beneficiaries())
    form.collective.choices = options(
        (c.slug, c.name) for c in permissions.collectives_for_new_screening(current_user)
    )
    form.country.choices = options([("", "Choose a country"), *cities.country_choices()])


def _input_from(form: ScreeningForm) -> screenings.ScreeningInput:
    return screenings.ScreeningInput(
        film=form.film.data, collective=form.collective.data, city=form.city.data,
        country=form.country.data, venue_name=form.venue_name.data,
        venue_address=form.venue_address.data or "", visibility=form.visibility.data,
        starts_at=form.starts_at.data, beneficiary=form.beneficiary.data,
        purpose=form.purpose.data, title=form.title.data or "",
        description=form.description.data or "", language=form.language.data or "",
        subtitles=form.subtitles.data or "", goal_amount=form.goal_amount.data or "",
        goal_currency=form.goal_currency.data or "",
    )


def _show_field_errors(form, exc: ValidationFailed) -> None:
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")


def _form_page(form: ScreeningForm, screening=None):
    status = 422 if form.errors else 200
    return render_template(
        "organiser/screening_form.html", form=form, screening=screening,
        known_cities=cities.known_cities(), currencies=sorted(money.known_currencies()),
    ), status


@bp.get("/")
def index():
    """The screenings of the user's collectives (coordinators: every screening)."""
    if current_user.is_coordinator:
        query = screenings.all_query()
    else:
        query = screenings.for_collectives_query(permissions.member_collective_ids(current_user))
    page = db.paginate(query, per_page=50, error_out=False)
    can_create = bool(permissions.collectives_for_new_screening(current_user))
    return render_template("organiser/index.html", page=page, can_create=can_create)


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
        except ValidationFailed as exc:
            db.session.rollback()
            _show_field_errors(form, exc)
        else:
            db.session.commit()
            flash("Screening saved as a draft. Submit it for approval when it is ready.",
                  "success")
            return redirect(url_for("organiser.screening", screening_id=screening.id))
    return _form_page(form)


@bp.get("/screenings/<int:screening_id>")
def screening(screening_id: int):
    """One screening with its fundraiser, contributions and the next steps."""
    item = screenings.get_editable(screening_id, current_user)
    total = ledger.totals_for_fundraiser(item.fundraiser.id)
    return render_template("organiser/screening.html", screening=item, action_form=ActionForm(),
                           total=total, contributions=ledger.contributions_of(item.fundraiser.id))


@bp.route("/screenings/<int:screening_id>/edit", methods=["GET", "POST"])
def edit_screening(screening_id: int):
    """Change a screening and its fundraiser; refuses a stale copy."""
    item = screenings.get_editable(screening_id, current_user)
    if request.method == "GET":
        form = ScreeningForm(obj=screenings.input_from(item), version=item.version_id)
    else:
        form = ScreeningForm()
    _fill_choices(form)
    if form.validate_on_submit():
        if str(form.version.data) != str(item.version_id):
            flash(STALE_MESSAGE, "error")
            return redirect(url_for("organiser.screening", screening_id=item.id))
        try:
            screenings.update(item, _input_from(form), current_user)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            _show_field_errors(form, exc)
        except StaleDataError:
            db.session.rollback()
            flash(STALE_MESSAGE, "error")
            return redirect(url_for("organiser.screening", screening_id=screening_id))
        else:
            flash("Screening updated.", "success")
            return redirect(url_for("organiser.screening", screening_id=item.id))
    return _form_page(form, item)


def _transition(screening_id: int, change, success: str):
    item = screenings.get_editable(screening_id, current_user)
    if ActionForm().validate_on_submit():
        try:
            change(item, current_user)
        except TransitionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(success, "success")
    return redirect(url_for("organiser.screening", screening_id=item.id))


@bp.post("/screenings/<int:screening_id>/submit")
def submit(screening_id: int):
    """Send a draft for approval (trusted collectives publish at once)."""
    return _transition(screening_id, screenings.submit,
                       "Submitted. It will be public once it is published.")


@bp.post("/screenings/<int:screening_id>/held")
def mark_held(screening_id: int):
    """Record that the screening took place."""
    return _transition(screening_id, screenings.mark_held,
                       "Marked as held. Remember to record what was raised.")


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
            )
        except ValidationFailed as exc:
            db.session.rollback()
            _show_field_errors(form, exc)
        else:
            db.session.commit()
            flash("Contribution recorded.", "success")
            return redirect(url_for("organiser.screening", screening_id=item.id))
    return render_template(
        "organiser/contribution_form.html", form=form, screening=item,
        currencies=sorted(money.known_currencies()),
    ), 422 if form.errors else 200
