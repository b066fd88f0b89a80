"""The form to register or edit a screening with its fundraiser, and shared form helpers."""

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp

from ...models import Visibility
from ...services.screenings import MAX_LENGTHS

CURRENCY_FORMAT = Regexp(r"^[A-Za-z]{3}$", message="Use a three-letter currency code, e.g. EUR.")


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
    # data-*: hooks for app/static/js/city-autocomplete.js (the list is the no-script fallback).
    city = StringField("City", validators=[InputRequired(), Length(max=160)],
                       render_kw={"list": "known-cities", "autocomplete": "off",
                                  "data-city-autocomplete": "", "data-country-field": "country",
                                  "data-zone-hint": "city-timezone",
                                  "data-cities-url": "/api/v1/cities"})
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
