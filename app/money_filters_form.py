"""The money dashboard's filter bar: a GET form (shareable links, no CSRF token). It only
renders; app/services/ledger parses and checks the values, and its field errors land here."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField

from .locales import countries_by_name
from .organiser.forms import options
from .services.errors import ValidationFailed
from .services.ledger.progress import FilterOptions

# Query-string names (as services/ledger/filters.py reads them) -> form attributes.
FIELD_FOR_ARG = {"from": "date_from", "to": "date_to", "country": "country", "film": "film",
                 "beneficiary": "beneficiary", "collective": "collective"}


class MoneyFilterForm(FlaskForm):
    """From, to, country, film, beneficiary, collective; the route fills the choices."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), name="from")
    date_to = DateField(_l("To"), name="to")
    country = SelectField(_l("Country"), validate_choice=False)
    film = SelectField(_l("Film"), validate_choice=False)
    beneficiary = SelectField(_l("Beneficiary"), validate_choice=False)
    collective = SelectField(_l("Collective"), validate_choice=False)

    def fill(self, choices: FilterOptions, all_collectives_label: str) -> None:
        """Options from the database, each select led by "all"."""
        self.country.choices = options([("", _("All countries")),
                                        *countries_by_name(choices.countries)])
        self.film.choices = options([("", _("All films")), *choices.films])
        self.beneficiary.choices = options([("", _("All beneficiaries")), *choices.beneficiaries])
        self.collective.choices = options([("", all_collectives_label), *choices.collectives])

    def show_errors(self, exc: ValidationFailed) -> None:
        """Put the service's messages (keyed by query-string name) on the fields."""
        for arg, message in exc.fields.items():
            field = self._fields[FIELD_FOR_ARG.get(arg, "date_from")]
            field.errors = [*field.errors, message]
