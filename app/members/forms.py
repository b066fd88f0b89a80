"""Forms for inviting people, managing a collective's members and accepting an invitation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ..models import MembershipRole, Role

MEMBERSHIP_ROLE_LABELS = {
    MembershipRole.MEMBER: _l("Member: registers and updates the collective's screenings"),
    MembershipRole.ADMIN: _l("Admin: also invites and manages members"),
}
SITE_ROLE_LABELS = {
    Role.ORGANISER: _l("Organiser (the usual role)"),
    Role.COORDINATOR: _l("Coordinator: approves screenings, sees every collective"),
    Role.ADMIN: _l("Site admin: also manages accounts and roles"),
}


class InviteForm(FlaskForm):
    """Invite an email to the collective; the route drops site_role for non-admins."""

    # The invitee's address, not the user's own: no autofill of one's own email.
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)],
                       render_kw={"autocomplete": "off"})
    membership_role = SelectField(
        _l("Role in the collective"), default=MembershipRole.MEMBER.value,
        choices=[SelectChoice(r.value, label) for r, label in MEMBERSHIP_ROLE_LABELS.items()],
    )
    site_role = SelectField(
        _l("Site role"), default=Role.ORGANISER.value,
        choices=[SelectChoice(r.value, label) for r, label in SITE_ROLE_LABELS.items()],
    )


class MemberRoleForm(FlaskForm):
    """Make a member admin, or an admin member (the button carries the value)."""

    role = SelectField(_l("Role"), choices=[SelectChoice(r.value) for r in MembershipRole])


class ButtonForm(FlaskForm):
    """A button that changes state; carries only the CSRF token."""


class NewAccountForm(FlaskForm):
    """The invited person's name and password, for a new account."""

    name = StringField(_l("Your name, as others in the collective will see it"),
                       validators=[InputRequired(), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    password = PasswordField(
        _l("Password"), validators=[InputRequired(), Length(max=1024)],
        description=_l("At least 12 characters. A few unrelated words make a strong one."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[InputRequired(),
                    EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
