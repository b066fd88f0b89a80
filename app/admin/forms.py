"""Forms for site administration of accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from ..models import Role

# The role names in the choice list, capitalised as a list shows them.
ROLE_CHOICE_LABELS = {
    Role.ORGANISER: _l("Organiser"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Admin"),
}


class UserRoleForm(FlaskForm):
    """Set an account's site role."""

    role = SelectField(_l("Site role"), choices=[SelectChoice(r.value, label)
                                                 for r, label in ROLE_CHOICE_LABELS.items()])


class ButtonForm(FlaskForm):
    """A button that changes state (deactivate, reactivate); carries only the CSRF token."""
