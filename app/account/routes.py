"""Account pages: overview, password change and reset, two-factor authentication."""

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from markupsafe import Markup

from ..auth import session as login_session
from ..auth.routes import home_for
from ..extensions import db
from ..form_errors import show_field_errors
from ..services import password_reset, passwords, twofactor
from ..services.errors import ValidationFailed
from ..services.twofactor import TwoFactorError
from .forms import (
    ChangePasswordForm,
    ConfirmTwoFactorForm,
    DisableTwoFactorForm,
    ForgotPasswordForm,
    RegenerateCodesForm,
    ReplaceAuthenticatorForm,
    ResetPasswordForm,
)

bp = Blueprint("account", __name__)

# What a user who must enrol in two-factor authentication may still reach.
ENROLMENT_EXEMPT = {"account.two_factor_setup", "auth.logout", "static"}


@bp.before_app_request
def require_two_factor_enrolment():
    """Coordinators and admins without two-factor authentication can only set it up."""
    # No endpoint: the request matched no route and ends on an error page.
    if request.endpoint is None or request.endpoint in ENROLMENT_EXEMPT:
        return None
    if request.blueprint == "api":
        return None  # the API answers 403 JSON itself (app/api/auth.py), never a redirect
    if current_user.is_authenticated and current_user.must_enrol_two_factor:
        return redirect(url_for("account.two_factor_setup"))
    return None


def _me():
    """The logged-in user itself, not the proxy (services record its type in the audit log)."""
    return current_user._get_current_object()



def _page(template: str, form=None, status: int | None = None, **context):
    """A page with a form: 422 when the form has errors; never stored by caches."""
    if status is None:
        status = 422 if form is not None and form.errors else 200
    response = make_response(render_template(template, form=form, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/account/")
@login_required
def index():
    """Name, email, role, collectives and the state of two-factor authentication."""
    memberships = sorted(((m.collective.name, m.role) for m in current_user.memberships),
                         key=lambda pair: pair[0].casefold())
    return render_template(
        "account/index.html", memberships=memberships,
        recovery_codes_left=twofactor.unused_recovery_codes(current_user),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password knowing the current one; every other session ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = _me()
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") \
            in request.cookies
        try:
            passwords.change(user, form.current_password.data, form.password.data)
        except ValidationFailed as exc:
            db.session.commit()  # a wrong current password stays on record
            show_field_errors(form, exc)
        else:
            db.session.commit()
            # The raised session version ended every session; this one carries on under it.
            login_user(user, remember=remembered)
            flash(_("Your password was changed. Every other session of your account was logged "
                    "out."), "success")
            return redirect(url_for("account.index"))
    return _page("account/change_password.html", form)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.email.data)
        db.session.commit()
        return _page("account/forgot_password_sent.html")
    return _page("account/forgot_password.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through an emailed link, then log in (2FA still applies)."""
    reset = password_reset.find_valid(token)
    if reset is None:
        return _page("account/reset_invalid.html", status=410)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = password_reset.complete(reset, form.password.data)
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_errors(form, exc)
        else:
            db.session.commit()
            if user.has_two_factor:
                login_session.begin_second_factor(user, remember=False, next_path=None)
                flash(_("Your password was changed. Enter a code to finish logging in."),
                      "success")
                return redirect(url_for("auth.two_factor"))
            login_session.start(user)
            flash(_("Your password was changed, and you are logged in."), "success")
            return redirect(home_for(user))
    return _page("account/reset_password.html", form)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """Set up an authenticator app: QR code, confirm with a code, recovery codes shown once."""
    user = _me()
    if user.has_two_factor:
        flash(_("Two-factor authentication is already on."), "info")
        return redirect(url_for("account.index"))
    twofactor.begin_enrolment(user)
    db.session.commit()
    form = ConfirmTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm_enrolment(user, form.code.data)
        except ValidationFailed as exc:
            db.session.commit()  # the failed code stays on record
            show_field_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Two-factor authentication is on."), "success")
            return _page("account/recovery_codes.html", codes=codes)
    uri = twofactor.provisioning_uri(user)
    # segno draws the SVG from the URI itself; nothing user-typed reaches the markup.
    qr = Markup(twofactor.qr_svg(uri))  # noqa: S704
    return _page("account/two_factor_setup.html", form, qr=qr, secret=user.totp_secret)


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@login_required
def regenerate_recovery_codes():
    """Make new recovery codes with a current code; the old ones stop working."""
    form = RegenerateCodesForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.regenerate_recovery_codes(_me(), form.code.data)
        except TwoFactorError as exc:
            flash(str(exc), "error")
            return redirect(url_for("account.index"))
        except ValidationFailed as exc:
            db.session.commit()
            show_field_errors(form, exc)
        else:
            db.session.commit()
            flash(_("New recovery codes made; the old ones no longer work."), "success")
            return _page("account/recovery_codes.html", codes=codes)
    return _page("account/regenerate_codes.html", form)


@bp.route("/account/two-factor/disable", methods=["GET", "POST"])
@login_required
def disable_two_factor():
    """Switch two-factor authentication off (not for coordinators and admins)."""
    form = DisableTwoFactorForm()
    if current_user.is_coordinator:
        flash(_("Coordinators and admins must keep two-factor authentication on."), "error")
        return redirect(url_for("account.index"))
    if form.validate_on_submit():
        try:
            twofactor.disable(_me(), form.password.data, form.code.data)
        except TwoFactorError as exc:
            flash(str(exc), "error")
            return redirect(url_for("account.index"))
        except ValidationFailed as exc:
            db.session.commit()
            show_field_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Two-factor authentication is off."), "success")
            return redirect(url_for("account.index"))
    return _page("account/disable_two_factor.html", form)


@bp.route("/account/two-factor/replace", methods=["GET", "POST"])
@login_required
def replace_authenticator():
    """Set up a new authenticator in place of a lost one (password and a recovery code)."""
    form = ReplaceAuthenticatorForm()
    if form.validate_on_submit():
        try:
            twofactor.replace_authenticator(_me(), form.password.data, form.code.data)
        except TwoFactorError as exc:
            flash(str(exc), "error")
            return redirect(url_for("account.index"))
        except ValidationFailed as exc:
            db.session.commit()
            show_field_errors(form, exc)
        else:
            db.session.commit()
            flash(_("The old authenticator no longer works. Set up the new one now."), "info")
            return redirect(url_for("account.two_factor_setup"))
    return _page("account/replace_authenticator.html", form)

from . import tokens  # noqa: E402,F401  (the API tokens page, on this blueprint)
