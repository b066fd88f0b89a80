"""The form to report an incident."""

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from ...models import IncidentKind
from ...services.incidents import MAX_DESCRIPTION
from .screening import options

INCIDENT_KIND_LABELS = {
    IncidentKind.THREAT: "Threat",
    IncidentKind.HARASSMENT: "Harassment",
    IncidentKind.VENUE_PRESSURE: "Pressure on the venue",
    IncidentKind.DISRUPTION: "Disruption of the screening",
    IncidentKind.OTHER: "Something else",
}


class IncidentForm(FlaskForm):
    """What happened, in the reporter's words."""

    kind = SelectField(
        "What happened",
        choices=options([("", "Choose one"),
                         *((k.value, INCIDENT_KIND_LABELS[k]) for k in IncidentKind)]),
        validators=[InputRequired(message="Choose what happened.")],
    )
    description = TextAreaField(
        "Describe it", validators=[InputRequired(message="Describe what happened."),
                                   Length(max=MAX_DESCRIPTION)],
        description="When, who, how. Only your collective's admins and the coordinators "
                    "can read this.",
    )
