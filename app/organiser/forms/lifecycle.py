"""One form per lifecycle action; each has its own field prefix, as they share a page."""

from flask_babel import lazy_gettext as _l
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

from ...locales import LazyLabels
from ...models import CancelReason, Visibility
from ...services.screenings import MAX_ATTENDANCE, MAX_LENGTHS, MAX_NOTE
from .screening import options

# Lazy msgids: the select options are built once, at import, and read in the reader's language.
_CANCEL_REASONS = {
    CancelReason.VENUE_WITHDRAWN: _l("The venue withdrew"),
    CancelReason.THREATS: _l("Threats or pressure"),
    CancelReason.ORGANISER_UNAVAILABLE: _l("The organisers cannot do it"),
    CancelReason.LOW_INTEREST: _l("Too little interest"),
    CancelReason.OTHER: _l("Another reason"),
}
CANCEL_REASON_LABELS = LazyLabels(_CANCEL_REASONS)


def _note() -> TextAreaField:
    return TextAreaField(
        _l("Note (optional, private)"), validators=[Optional(), Length(max=MAX_NOTE)],
        description=_l("Only your collective and the coordinators see it."),
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
        _l("New start (local time in the city)"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Enter the new date and time."))],
    )
    note = _note()


class RelocateForm(_PrefixedForm):
    """Move a screening to another venue in the same city."""

    PREFIX = "relocate"
    venue_name = StringField(_l("New venue"),
                             validators=[InputRequired(), Length(max=MAX_LENGTHS["venue_name"])])
    venue_address = StringField(
        _l("Address"), validators=[Optional(), Length(max=MAX_LENGTHS["venue_address"])],
        render_kw={"autocomplete": "street-address"},
    )
    visibility = RadioField(
        _l("Who may see the new address"),
        choices=options((v.value, v.value) for v in Visibility),
        default=Visibility.CITY_ONLY.value, validators=[InputRequired()],
    )
    note = _note()


class CancelForm(_PrefixedForm):
    """Call a screening off, with a private reason."""

    PREFIX = "cancel"
    reason = SelectField(
        _l("Reason (private)"),
        choices=options([("", _l("Choose a reason")),
                         *((r.value, _CANCEL_REASONS[r]) for r in CancelReason)]),
        validators=[InputRequired(message=_l("Choose why the screening is cancelled."))],
        description=_l("The public only sees that the screening is cancelled."),
    )
    note = _note()


class HeldForm(_PrefixedForm):
    """Record that the screening took place, with how many came if known."""

    PREFIX = "held"
    attendance = IntegerField(
        _l("People who came (optional)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_ATTENDANCE)],
        # A number pad on phones; min and max as the service checks them.
        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_ATTENDANCE,
                   "autocomplete": "off"},
    )
