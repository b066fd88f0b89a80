"""The exchange-rates page: current rates, their history, one rate by hand, and the European
Central Bank's files, checked (a dry run) before they are imported."""

import secrets
import time
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from ..extensions import db
from ..locales import LazyLabels
from ..organiser.forms import ActionForm
from ..services import money, rate_import, rates
from ..services.errors import ValidationFailed
from ..services.ledger import rollup
from .blueprint import bp
from .rate_forms import ConfirmImportForm, RateFileForm, RateFilterForm, RateForm, filter_choices

PER_PAGE = 50
# A checked file waits this long for its confirmation, then the next upload sweeps it away.
KEEP_SECONDS = 3600
LAYOUTS = LazyLabels({"daily": _l("the ECB's daily file (eurofxref.csv)"),
                      "historical": _l("the ECB's historical file (eurofxref-hist.csv)")})


# --- checked files, kept in the instance folder between the dry run and the confirmation ---


def _folder() -> Path:
    configured = current_app.config.get("RATE_IMPORT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "rate_imports"


def _kept(token: str) -> Path:
    # The user id in the name: a token only works for the person who uploaded the file.
    return _folder() / f"{current_user.id}-{token}.upload"


def _keep(data: bytes) -> str:
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.upload"):
        if now - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(18)
    _kept(token).write_bytes(data)
    return token


# --- the page -------------------------------------------------------------------------------


def _page(status: int = 200, **parts):
    """The rates page, with whichever forms, preview or confirmation the request produced."""
    base = rollup.base_currency()
    rate_form = parts.pop("rate_form", None) or RateForm(prefix="rate", formdata=None)
    rate_form.per_base.label.text = _("Units per 1 %(base)s", base=base)
    filter_form = RateFilterForm(formdata=request.args)
    filter_form.currency.choices = filter_choices(rates.known_currencies_in_use())
    history = None
    if filter_form.validate():
        history = db.paginate(rates.rates_query(filter_form.currency.data or None),
                              per_page=PER_PAGE, error_out=False)
    else:
        status = 422
    filters = {"currency": request.args["currency"]} if request.args.get("currency") else {}
    return render_template(
        "coordination/rates.html", base=base, mismatch=rates.base_mismatch(),
        current=rate_import.current_rates(), history=history,
        entered_by=rate_import.entered_by(history.items if history else []),
        filter_form=filter_form, filters=filters, rate_form=rate_form,
        file_form=parts.pop("file_form", None) or RateFileForm(formdata=None),
        action_form=ActionForm(), currencies=sorted(money.known_currencies()),
        rate_text=rate_import.rate_text, layouts=LAYOUTS, **parts,
    ), status


def _reconverted(count: int) -> str:
    """The sentence that ends each flash: how many contributions were converted again."""
    return ngettext("%(num)s contribution re-converted.", "%(num)s contributions re-converted.",
                    count)


@bp.get("/rates", endpoint="rates")
def exchange_rates():
    """Current rates, the history, and the forms; ?edit=ID fills the form with that rate."""
    form = None
    edit = request.args.get("edit", type=int)
    if edit:
        rate = rates.get_rate(edit)
        form = RateForm(prefix="rate", formdata=None, currency=rate.currency,
                        valid_on=rate.valid_on, per_base=rate_import.rate_text(rate.per_base))
    return _page(rate_form=form)


@bp.post("/rates")
def save_rate():
    """Add a rate or change one; the contributions it covers are converted again."""
    form = RateForm(prefix="rate")
    if form.validate_on_submit():
        try:
            rate, reconverted = rates.set_rate(form.currency.data, form.valid_on.data,
                                               form.per_base.data, current_user, source="form")
        except ValidationFailed as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                form[name].errors = [*form[name].errors, message]
        else:
            db.session.commit()
            saved = _("Saved: %(rate)s %(currency)s per 1 %(base)s from %(day)s.",
                      rate=rate_import.rate_text(rate.per_base), currency=rate.currency,
                      base=rollup.base_currency(), day=rate.valid_on)
            flash(f"{saved} {_reconverted(reconverted)}", "success")
            return redirect(url_for("coordination.rates"))
    return _page(422, rate_form=form)


@bp.get("/rates/<int:rate_id>/delete")
def confirm_delete_rate(rate_id: int):
    """Ask before a rate is removed."""
    return _page(deleting=rates.get_rate(rate_id))


@bp.post("/rates/<int:rate_id>/delete")
def delete_rate(rate_id: int):
    """Remove a rate; what it converted falls back to the rate before it, if any."""
    rate = rates.get_rate(rate_id)
    if ActionForm().validate_on_submit():
        deleted = _("Deleted the rate of %(currency)s from %(day)s.", currency=rate.currency,
                    day=rate.valid_on)
        reconverted = rates.delete_rate(rate, current_user)
        db.session.commit()
        flash(f"{deleted} {_reconverted(reconverted)}", "success")
    return redirect(url_for("coordination.rates"))


@bp.post("/rates/import")
def check_rate_file():
    """The dry run: read the file, show what importing it would do, keep it for the confirmation."""
    form = RateFileForm()
    if not form.validate_on_submit():
        return _page(422, file_form=form)
    data = form.file.data.read()
    try:
        report = rate_import.import_file(data, current_user, dry_run=True)
    except rate_import.ImportRefused as exc:
        db.session.rollback()
        return _page(422, file_form=form, refused=exc, filename=form.file.data.filename)
    confirm = ConfirmImportForm(formdata=None, token=_keep(data))
    return _page(report=report, confirm_form=confirm, filename=form.file.data.filename)


@bp.post("/rates/import/confirm")
def import_rate_file():
    """Import the checked file, all or nothing."""
    form = ConfirmImportForm()
    kept = _kept(form.token.data) if form.validate_on_submit() else None
    if kept is None or not kept.is_file():
        flash(_("That file is no longer waiting to be imported: choose it and check it again."),
              "error")
        return redirect(url_for("coordination.rates"))
    try:
        report = rate_import.import_file(kept.read_bytes(), current_user)
    except rate_import.ImportRefused as exc:
        db.session.rollback()
        flash(_("Nothing was imported: %(problem)s Check the file again.",
                problem=exc.problems[0]), "error")
    else:
        db.session.commit()
        written = report.written
        imported = ngettext(
            "Imported %(num)s rate: %(new)s new, %(changed)s changed, %(same)s unchanged.",
            "Imported %(num)s rates: %(new)s new, %(changed)s changed, %(same)s unchanged.",
            len(report.parsed.entries), new=written.created, changed=written.updated,
            same=written.unchanged)
        flash(f"{imported} {_reconverted(written.reconverted)}", "success")
    kept.unlink(missing_ok=True)
    return redirect(url_for("coordination.rates"))
