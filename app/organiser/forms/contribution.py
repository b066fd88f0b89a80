"""Forms to record a contribution and to correct one (with its version and a reason)."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ...models import Channel, ContributionState
from ...services.ledger import MAX_NOTE, MAX_REASON, MAX_REFERENCE
from .screening import CURRENCY_FORMAT, options

CHANNEL_LABELS = {
    Channel.DOOR: "Door donations", Channel.BAR: "Bar", Channel.MERCHANDISE: "Merchandise",
    Channel.BANK_TRANSFER: "Bank transfer", Channel.ONLINE: "Online", Channel.OTHER: "Other",
}
STATE_LABELS = {
    ContributionState.PLEDGED: "Pledged (promised, not yet in hand)",
    ContributionState.COLLECTED: "Collected (in hand)",
    ContributionState.TRANSFERRED: "Transferred to the beneficiary",
    ContributionState.CONFIRMED: "Confirmed received by the beneficiary",
}


class ContributionForm(FlaskForm):
    """Record money raised at or for a screening."""

    amount = StringField("Amount", validators=[InputRequired(), Length(max=32)],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = StringField("Currency", validators=[InputRequired(), CURRENCY_FORMAT],
                           render_kw={"list": "currencies", "maxlength": 3,
                                      "autocapitalize": "characters"})
    received_on = DateField("Date", default=date.today, validators=[DataRequired()])
    channel = SelectField("How it came in",
                          choices=options((c.value, CHANNEL_LABELS[c]) for c in Channel))
    state = SelectField("State",
                        choices=options((s.value, STATE_LABELS[s]) for s in ContributionState),
                        default=ContributionState.COLLECTED.value)
    transfer_reference = StringField(
        "Transfer reference (optional)", validators=[Optional(), Length(max=MAX_REFERENCE)],
        description="The bank or payment reference once the money is sent on.",
    )
    transferred_on = DateField(
        "Sent on (optional)", validators=[Optional()],
        description="When the money was sent on to the beneficiary; today if left empty.",
    )
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=MAX_NOTE)])


class ContributionEditForm(ContributionForm):
    """Correct a contribution: the same fields, the version it was opened at, and why."""

    reason = TextAreaField(
        "Why it changes", validators=[Optional(), Length(max=MAX_REASON)],
        description="Needed when the amount or currency changes; kept in the audit log.",
    )
    version = HiddenField()
