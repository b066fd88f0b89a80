"""/account/tokens: the logged-in person's personal API tokens (list, create, revoke)."""

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from ..extensions import db
from ..form_errors import show_field_errors
from ..services import api_tokens
from ..services.errors import ValidationFailed
from .routes import bp


class CreateTokenForm(FlaskForm):
    """A label for a new token."""

    label = StringField(_l("Label (optional)"), validators=[Optional(),
                                                            Length(max=api_tokens.MAX_LABEL)],
                        description=_l("What the token is for, e.g. \"accounts spreadsheet\"."),
                        render_kw={"autocomplete": "off"})


class RevokeTokenForm(FlaskForm):
    """Revoke one token (the form carries only the CSRF token)."""


def _page(form: CreateTokenForm, plaintext: str | None = None, status: int | None = None):
    user = current_user._get_current_object()
    response = make_response(render_template(
        "account/tokens.html", form=form, revoke_form=RevokeTokenForm(),
        tokens=api_tokens.list_for(user), plaintext=plaintext,
    ), status or (422 if form.errors else 200))
    # The new token is on this page once: no cache, no back button copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """List the tokens; create one, whose secret is shown on the answer page only."""
    form = CreateTokenForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            plaintext, _record = api_tokens.create(user, form.label.data or "", actor=user)
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_errors(form, exc)
        else:
            db.session.commit()
            return _page(CreateTokenForm(formdata=None), plaintext=plaintext)
    return _page(form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of the person's own tokens (anyone else's answers 404)."""
    if RevokeTokenForm().validate_on_submit():  # the CSRF token (the form has no fields)
        token = api_tokens.revoke(token_id, current_user._get_current_object())
        db.session.commit()
        flash(_("Token %(prefix)s… revoked: it no longer works.", prefix=token.prefix), "success")
    return redirect(url_for("account.tokens"))
