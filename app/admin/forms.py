"""Forms for site administration of accounts."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from ..models import Role


class UserRoleForm(FlaskForm):
    """Set an account's site role."""

    role = SelectField("Site role", choices=[SelectChoice(r.value, r.value.capitalize())
                                             for r in Role])


class ButtonForm(FlaskForm):
    """A button that changes state (deactivate, reactivate); carries only the CSRF token."""
