"""The public list's filter form: a GET form (shareable links, no CSRF token). It only
renders; app/services/screenings/search.py parses and checks the values, and its field
errors land here."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice

from ..locales import countries_by_name, country_name, name_order
from ..services.errors import ValidationFailed
from ..services.screenings.facets import FilterChoices
from ..services.screenings.search import DEFAULT_RADIUS_KM, MAX_RADIUS_KM

# Query-string names (as search.parse_filters reads them) -> form attributes.
FIELD_FOR_ARG = {"from": "date_from", "to": "date_to", "country": "country", "city": "city",
                 "film": "film", "collective": "collective", "beneficiary": "beneficiary",
                 "near": "near", "radius": "radius"}


def _options(first: str, pairs) -> list[SelectChoice]:
    return [SelectChoice("", first), *(SelectChoice(str(value), label) for value, label in pairs)]


def _city_options(first: str, cities) -> list[SelectChoice]:
    """Cities grouped by country (named in the reader's language), so that two cities of one
    name stay apart."""
    named = sorted(((country_name(code), name, city_id) for city_id, name, code in cities),
                   key=lambda row: (name_order(row[0]), name_order(row[1]), row[2]))
    return [SelectChoice("", first),
            *(SelectChoice(str(city_id), name, optgroup=country)
              for country, name, city_id in named)]


class ScreeningFilterForm(FlaskForm):
    """Country, city, film, collective, beneficiary, a date range and "near a city"."""

    class Meta:
        csrf = False

    country = SelectField(_l("Country"), validate_choice=False)
    city = SelectField(_l("City"), validate_choice=False)
    film = SelectField(_l("Film"), validate_choice=False)
    collective = SelectField(_l("Collective"), validate_choice=False)
    beneficiary = SelectField(_l("Fundraising for"), validate_choice=False)
    date_from = DateField(_l("From"), name="from")
    date_to = DateField(_l("To"), name="to")
    near = SelectField(_l("Near"), validate_choice=False)
    radius = IntegerField(
        _l("Within (km)"), render_kw={"min": 1, "max": MAX_RADIUS_KM, "inputmode": "numeric",
                                  "placeholder": str(DEFAULT_RADIUS_KM)})

    def fill(self, choices: FilterChoices) -> None:
        """Options from the service, each select led by "any"."""
        self.country.choices = _options(_("Any country"), countries_by_name(choices.countries))
        self.city.choices = _city_options(_("Any city"), choices.cities)
        self.film.choices = _options(_("Any film"), choices.films)
        self.collective.choices = _options(_("Any collective"), choices.collectives)
        self.beneficiary.choices = _options(_("Any group"), choices.beneficiaries)
        self.near.choices = _city_options(_("Anywhere"), choices.cities)

    def show_errors(self, exc: ValidationFailed) -> None:
        """Put the service's messages (keyed by query-string name) on the fields; one the form
        has no field for (status) goes with the form's own errors."""
        for arg, message in exc.fields.items():
            name = FIELD_FOR_ARG.get(arg)
            if name is None:
                self.form_errors.append(f"{arg}: {message}")
                continue
            field = self._fields[name]
            field.errors = [*field.errors, message]

    def active(self) -> list[tuple[str, str]]:
        """(field label, chosen value as shown) for each filter in use, for the summary line."""
        shown = []
        for field in self:
            if not (field.raw_data and field.raw_data[0]):
                continue
            text = field.raw_data[0]
            if isinstance(field, SelectField):
                labels = {str(c.value): c.label for c in field.choices or ()}
                text = labels.get(text, text)
            elif field is self.radius:
                text = _("%(radius)s km", radius=text)
            shown.append((field.label.text, text))
        return shown

    @property
    def used(self) -> bool:
        """Whether any filter was given (the form then opens, and offers to clear them)."""
        return any(field.raw_data and field.raw_data[0] for field in self)
