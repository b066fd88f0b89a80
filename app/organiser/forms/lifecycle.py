"""One form per lifecycle action; each has its own field prefix, as they share a page."""

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ...models import CancelReason, Visibility
from ...services.screenings import MAX_ATTENDANCE, MAX_LENGTHS, MAX_NOTE
from .screening import options

CANCEL_REASON_LABELS = {
    CancelReason.VENUE_WITHDRAWN: "The venue withdrew",
    CancelReason.THREATS: "Threats or pressure",
    CancelReason.ORGANISER_UNAVAILABLE: "The organisers cannot do it",
    CancelReason.LOW_INTEREST: "Too little interest",
    CancelReason.OTHER: "Another reason",
}


def _note(label: str = "Note (optional, private)") -> TextAreaField:
    return TextAreaField(
        label, validators=[Optional(), Length(max=MAX_NOTE)],
        description="Only your collective and the coordinators see it.",
    )


class ActionForm(FlaskForm):
    """A button that changes state; carries only the CSRF token."""


class _PrefixedForm(FlaskForm):
    """A form whose fields are named "<PREFIX>-<field>", so that ids stay unique on a page."""

    PREFIX = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)


class PostponeForm(_PrefixedForm):
    """Put a screening off until a new date is known."""

    PREFIX = "postpone"
    note = _note()


class RescheduleForm(_PrefixedForm):
    """Give a screening its new date."""

    PREFIX = "reschedule"
    starts_at = DateTimeLocalField(
        "New start (local time in the city)", format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message="Enter the new date and time.")],
    )
    note = _note()


class RelocateForm(_PrefixedForm):
    """Move a screening to another venue in the same city."""

    PREFIX = "relocate"
    venue_name = StringField("New venue",
                             validators=[InputRequired(), Length(max=MAX_LENGTHS["venue_name"])])
    venue_address = StringField(
        "Address", validators=[Optional(), Length(max=MAX_LENGTHS["venue_address"])],
        render_kw={"autocomplete": "street-address"},
    )
    visibility = RadioField(
        "Who may see the new address",
        choices=options((v.value, v.value) for v in Visibility),
        default=Visibility.CITY_ONLY.value, validators=[InputRequired()],
    )
    note = _note()


class CancelForm(_PrefixedForm):
    """Call a screening off, with a private reason."""

    PREFIX = "cancel"
    reason = SelectField(
        "Reason (private)",
        choices=options([("", "Choose a reason"),
                         *((r.value, CANCEL_REASON_LABELS[r]) for r in CancelReason)]),
        validators=[InputRequired(message="Choose why the screening is cancelled.")],
        description="The public only sees that the screening is cancelled.",
    )
    note = _note()


class HeldForm(_PrefixedForm):
    """Record that the screening took place, with how many came if known."""

    PREFIX = "held"
    attendance = IntegerField(
        "People who came (optional)",
        validators=[Optional(), NumberRange(min=0, max=MAX_ATTENDANCE)],
    )
