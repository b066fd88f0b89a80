"""The form to register or edit a screening with its fundraiser, and shared form helpers."""

from flask_babel import lazy_gettext as _l
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
from ..text_forms import ScreeningLanguagesMixin

CURRENCY_FORMAT = Regexp(r"^[A-Za-z]{3}$",
                         message=_l("Use a three-letter currency code, e.g. EUR."))


def options(pairs) -> list[SelectChoice]:
    """Select or radio options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _length(field: str) -> Length:
    return Length(max=MAX_LENGTHS[field])


class ScreeningForm(ScreeningLanguagesMixin, FlaskForm):
    """Register or edit a screening and its fundraiser; choices are filled by the route. The
    spoken and subtitle languages (selects of codes) and the descriptions in other languages
    come from ScreeningLanguagesMixin."""

    film = SelectField(_l("Film"), validators=[InputRequired()], validate_choice=False)
    collective = SelectField(_l("Host collective"), validators=[InputRequired()],
                             validate_choice=False)
    title = StringField(_l("Title (optional)"), validators=[Optional(), _length("title")],
                        description=_l("Leave empty to use the film's title."))
    # data-*: hooks for app/static/js/city-autocomplete.js (the list is the no-script fallback).
    city = StringField(_l("City"), validators=[InputRequired(), Length(max=160)],
                       render_kw={"list": "known-cities", "autocomplete": "off",
                                  "data-city-autocomplete": "", "data-country-field": "country",
                                  "data-zone-hint": "city-timezone",
                                  "data-cities-url": "/api/v1/cities"})
    country = SelectField(_l("Country"), validators=[InputRequired()], validate_choice=False)
    venue_name = StringField(_l("Venue"), validators=[InputRequired(), _length("venue_name")])
    venue_address = StringField(_l("Address"), validators=[Optional(), _length("venue_address")],
                                render_kw={"autocomplete": "street-address"})
    visibility = RadioField(
        _l("Who may see the address"),
        choices=options((v.value, v.value) for v in Visibility),
        default=Visibility.CITY_ONLY.value,
        validators=[InputRequired()],
    )
    starts_at = DateTimeLocalField(
        _l("Starts (local time in the city)"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Enter the date and time."))],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), _length("description")])
    beneficiary = SelectField(_l("Money goes to"), validators=[InputRequired()],
                              validate_choice=False)
    purpose = StringField(_l("What the money is for"),
                          validators=[InputRequired(), _length("purpose")],
                          description=_l("For example: medical supplies for evacuation crews."))
    goal_amount = StringField(_l("Goal (optional)"), validators=[Optional(), Length(max=32)],
                              render_kw={"inputmode": "decimal", "autocomplete": "off"})
    goal_currency = StringField(_l("Goal currency"), default="EUR",
                                validators=[Optional(), CURRENCY_FORMAT],
                                render_kw={"list": "currencies", "maxlength": 3,
                                           "autocapitalize": "characters",
                                           "autocomplete": "off", "autocorrect": "off",
                                           "spellcheck": "false"})
    version = HiddenField()
