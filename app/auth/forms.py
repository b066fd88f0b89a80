"""Forms for logging in: the password step and the two-factor step."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me logged in on this device"))


class TwoFactorForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""

    # inputmode stays "text": recovery codes have letters, which a numeric keypad cannot type.
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=40)],
        description=_l("The 6-digit code your authenticator app shows now, or one of your "
                       "recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "text",
                   "autocapitalize": "none", "spellcheck": "false"},
    )
