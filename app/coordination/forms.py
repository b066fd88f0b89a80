"""Coordinators' filter forms; they are read from the query string, so they carry no token."""

from flask_babel import lazy_gettext as _l
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

    # Someone else's address: no autofill of one's own email.
    actor = EmailField(_l("Actor (email)"),
                       validators=[Optional(), Length(max=254),
                                   Email(message=_l("Enter an email address."))],
                       render_kw={"autocomplete": "off"})
    action = StringField(
        _l("Action starts with"), validators=[Optional(), Length(max=80), Regexp(
            r"^[A-Za-z0-9_.]+$", message=_l("Use letters, digits, dots and underscores."))],
        description=_l('For example "screening." or "auth.login".'),
    )
    object_type = StringField(
        _l("Object type"), validators=[Optional(), Length(max=40), Regexp(
            r"^[A-Za-z_]+$", message=_l("Use letters and underscores, e.g. screening."))],
    )
    object_id = IntegerField(_l("Object id"), validators=[
        Optional(),
        NumberRange(min=1, max=2**31 - 1, message=_l("Enter a positive whole number."))],
        render_kw={"inputmode": "numeric"})
    date_from = DateField(_l("From (UTC date)"), validators=[Optional()])
    date_to = DateField(_l("To (UTC date)"), validators=[Optional()])


class IncidentFilterForm(_QueryForm):
    """Narrow the incident log by collective and kind; the route fills the collectives."""

    collective = SelectField(_l("Collective"), choices=options([("", _l("All collectives"))]),
                             default="")
    kind = SelectField(
        _l("Kind"),
        choices=options([("", _l("All kinds")),
                         *((k.value, INCIDENT_KIND_LABELS[k]) for k in IncidentKind)]),
        default="",
    )
