"""The form to report an incident."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from ...models import IncidentKind
from ...services.incidents import MAX_DESCRIPTION
from .screening import options

# Lazy strings, not LazyLabels: the coordinators' filter form builds its options from these
# at import, and each must still be read in the reader's language.
INCIDENT_KIND_LABELS = {
    IncidentKind.THREAT: _l("Threat"),
    IncidentKind.HARASSMENT: _l("Harassment"),
    IncidentKind.VENUE_PRESSURE: _l("Pressure on the venue"),
    IncidentKind.DISRUPTION: _l("Disruption of the screening"),
    IncidentKind.OTHER: _l("Something else"),
}


class IncidentForm(FlaskForm):
    """What happened, in the reporter's words."""

    kind = SelectField(
        _l("What happened"),
        choices=options([("", _l("Choose one")),
                         *((k.value, INCIDENT_KIND_LABELS[k]) for k in IncidentKind)]),
        validators=[InputRequired(message=_l("Choose what happened."))],
    )
    description = TextAreaField(
        _l("Describe it"), validators=[InputRequired(message=_l("Describe what happened.")),
                                       Length(max=MAX_DESCRIPTION)],
        description=_l("When, who, how. Only your collective's admins and the coordinators "
                       "can read this."),
    )
