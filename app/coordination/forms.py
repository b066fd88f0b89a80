"""Coordinators' filter forms; they are read from the query string, so they carry no token."""

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import Email, Length, NumberRange, Optional, Regexp

from ..models import IncidentKind
from ..organiser.forms import INCIDENT_KIND_LABELS, options


class _QueryForm(FlaskForm):
    """A GET form: no CSRF token, since reading changes nothing."""

    class Meta:
        csrf = False


class AuditFilterForm(_QueryForm):
    """Narrow the audit log by who, what, which object and when."""

    actor = EmailField("Actor (email)", validators=[Optional(), Length(max=254),
                                                    Email(message="Enter an email address.")])
    action = StringField(
        "Action starts with", validators=[Optional(), Length(max=80), Regexp(
            r"^[A-Za-z0-9_.]+$", message="Use letters, digits, dots and underscores.")],
        description='For example "screening." or "auth.login".',
    )
    object_type = StringField(
        "Object type", validators=[Optional(), Length(max=40), Regexp(
            r"^[A-Za-z_]+$", message="Use letters and underscores, e.g. screening.")],
    )
    object_id = IntegerField("Object id", validators=[
        Optional(), NumberRange(min=1, max=2**31 - 1, message="Enter a positive whole number.")])
    date_from = DateField("From (UTC date)", validators=[Optional()])
    date_to = DateField("To (UTC date)", validators=[Optional()])


class IncidentFilterForm(_QueryForm):
    """Narrow the incident log by collective and kind; the route fills the collectives."""

    collective = SelectField("Collective", choices=options([("", "All collectives")]),
                             default="")
    kind = SelectField(
        "Kind",
        choices=options([("", "All kinds"),
                         *((k.value, INCIDENT_KIND_LABELS[k]) for k in IncidentKind)]),
        default="",
    )
