"""Forms to record a contribution and to correct one (with its version and a reason)."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ...locales import LazyLabels
from ...models import Channel, ContributionState
from ...services.ledger import MAX_NOTE, MAX_REASON, MAX_REFERENCE
from .screening import CURRENCY_FORMAT, options

# Lazy msgids: the select options are built once, at import, and read in the reader's language.
_CHANNELS = {
    Channel.DOOR: _l("Door donations"), Channel.BAR: _l("Bar"),
    Channel.MERCHANDISE: _l("Merchandise"), Channel.BANK_TRANSFER: _l("Bank transfer"),
    Channel.ONLINE: _l("Online"), Channel.OTHER: _l("Other"),
}
_STATES = {
    ContributionState.PLEDGED: _l("Pledged (promised, not yet in hand)"),
    ContributionState.COLLECTED: _l("Collected (in hand)"),
    ContributionState.TRANSFERRED: _l("Transferred to the beneficiary"),
    ContributionState.CONFIRMED: _l("Confirmed received by the beneficiary"),
}
CHANNEL_LABELS = LazyLabels(_CHANNELS)
STATE_LABELS = LazyLabels(_STATES)
# What the phone keyboard and autofill should offer: codes and references are not words.
_CODE_INPUT = {"autocomplete": "off", "autocorrect": "off", "spellcheck": "false"}


class ContributionForm(FlaskForm):
    """Record money raised at or for a screening."""

    amount = StringField(_l("Amount"), validators=[InputRequired(), Length(max=32)],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = StringField(_l("Currency"), validators=[InputRequired(), CURRENCY_FORMAT],
                           render_kw={"list": "currencies", "maxlength": 3,
                                      "autocapitalize": "characters", **_CODE_INPUT})
    received_on = DateField(_l("Date"), default=date.today, validators=[DataRequired()])
    channel = SelectField(_l("How it came in"),
                          choices=options((c.value, _CHANNELS[c]) for c in Channel))
    state = SelectField(_l("State"),
                        choices=options((s.value, _STATES[s]) for s in ContributionState),
                        default=ContributionState.COLLECTED.value)
    transfer_reference = StringField(
        _l("Transfer reference (optional)"), validators=[Optional(), Length(max=MAX_REFERENCE)],
        description=_l("The bank or payment reference once the money is sent on."),
        render_kw=_CODE_INPUT,
    )
    transferred_on = DateField(
        _l("Sent on (optional)"), validators=[Optional()],
        description=_l("When the money was sent on to the beneficiary; today if left empty."),
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=MAX_NOTE)])


class ContributionEditForm(ContributionForm):
    """Correct a contribution: the same fields, the version it was opened at, and why."""

    reason = TextAreaField(
        _l("Why it changes"), validators=[Optional(), Length(max=MAX_REASON)],
        description=_l("Needed when the amount or currency changes; kept in the audit log."),
    )
    version = HiddenField()
