"""Organisers' forms: a screening with its fundraiser, a contribution, lifecycle buttons."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ..models import Channel, ContributionState, Visibility
from ..services.screenings import MAX_LENGTHS

CURRENCY_FORMAT = Regexp(r"^[A-Za-z]{3}$", message="Use a three-letter currency code, e.g. EUR.")

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


def options(pairs) -> list[SelectChoice]:
    """Select or radio options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _length(field: str) -> Length:
    return Length(max=MAX_LENGTHS[field])


class ScreeningForm(FlaskForm):
    """Register or edit a screening and its fundraiser; choices are filled by the route."""

    film = SelectField("Film", validators=[InputRequired()], validate_choice=False)
    collective = SelectField("Host collective", validators=[InputRequired()],
                             validate_choice=False)
    title = StringField("Title (optional)", validators=[Optional(), _length("title")],
                        description="Leave empty to use the film's title.")
    city = StringField("City", validators=[InputRequired(), Length(max=160)],
                       render_kw={"list": "known-cities", "autocomplete": "off"})
    country = SelectField("Country", validators=[InputRequired()], validate_choice=False)
    venue_name = StringField("Venue", validators=[InputRequired(), _length("venue_name")])
    venue_address = StringField("Address", validators=[Optional(), _length("venue_address")],
                                render_kw={"autocomplete": "street-address"})
    visibility = RadioField(
        "Who may see the address",
        choices=options((v.value, v.value) for v in Visibility),
        default=Visibility.CITY_ONLY.value,
        validators=[InputRequired()],
    )
    starts_at = DateTimeLocalField(
        "Starts (local time in the city)", format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message="Enter the date and time.")],
    )
    language = StringField("Spoken language", validators=[Optional(), _length("language")])
    subtitles = StringField("Subtitles", validators=[Optional(), _length("subtitles")])
    description = TextAreaField("Description", validators=[Optional(), _length("description")])
    beneficiary = SelectField("Money goes to", validators=[InputRequired()],
                              validate_choice=False)
    purpose = StringField("What the money is for",
                          validators=[InputRequired(), _length("purpose")],
                          description="For example: medical supplies for evacuation crews.")
    goal_amount = StringField("Goal (optional)", validators=[Optional(), Length(max=32)],
                              render_kw={"inputmode": "decimal"})
    goal_currency = StringField("Goal currency", default="EUR",
                                validators=[Optional(), CURRENCY_FORMAT],
                                render_kw={"list": "currencies", "maxlength": 3,
                                           "autocapitalize": "characters"})
    version = HiddenField()


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
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])


class ActionForm(FlaskForm):
    """A button that changes state; carries only the CSRF token."""

