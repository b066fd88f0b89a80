"""Account forms: password reset and change, two-factor enrolment and its management."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..services.passwords import MAX_LENGTH, MIN_LENGTH

NEW_PASSWORD_HINT = _l("At least %(min)s characters. Several unrelated words are easy to "
                       "remember and hard to guess; no special characters needed.", min=MIN_LENGTH)
# Long enough to reach the policy's own message for an over-long password.
NEW_PASSWORD_LENGTH = Length(max=MAX_LENGTH * 4)
CODE_FIELD_KW = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
# Only an authenticator code (digits) is accepted: phones show the number pad. Fields that also
# take a recovery code (letters and digits) keep the full keyboard.
TOTP_FIELD_KW = {**CODE_FIELD_KW, "inputmode": "numeric"}


def _new_password_fields():
    password = PasswordField(_l("New password"), description=NEW_PASSWORD_HINT,
                             validators=[DataRequired(), NEW_PASSWORD_LENGTH],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password",
                                        message=_l("The two passwords are not the same."))],
                            render_kw={"autocomplete": "new-password"})
    return password, confirm


def _code_field(description, render_kw=CODE_FIELD_KW) -> StringField:
    return StringField(_l("Code"), description=description,
                       validators=[DataRequired(), Length(max=40)], render_kw=render_kw)


class ForgotPasswordForm(FlaskForm):
    """The email address of the account."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)],
                       render_kw={"autocomplete": "email"})


class ResetPasswordForm(FlaskForm):
    """A new password, twice."""

    password, confirm = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    """The current password, and the new one twice."""

    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=1024)],
                                     render_kw={"autocomplete": "current-password"})
    password, confirm = _new_password_fields()


class ConfirmTwoFactorForm(FlaskForm):
    """The first code from the newly set-up authenticator."""

    code = _code_field(_l("The 6-digit code your authenticator app shows now."), TOTP_FIELD_KW)


class RegenerateCodesForm(FlaskForm):
    """A current code, to make new recovery codes."""

    code = _code_field(_l("The 6-digit code your authenticator app shows now."), TOTP_FIELD_KW)


class _PasswordAndCodeForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    code = _code_field(_l("The 6-digit code from your authenticator app, or a recovery code."))


class DisableTwoFactorForm(_PasswordAndCodeForm):
    """Password and a code, to switch two-factor authentication off."""


class ReplaceAuthenticatorForm(_PasswordAndCodeForm):
    """Password and a code, to set up a new authenticator in place of the old one."""
