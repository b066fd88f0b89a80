"""Forms of the exchange-rates page: one rate, an ECB file, its confirmation, the filter."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from ..models import utcnow
from ..organiser.forms import CURRENCY_FORMAT, options

# secrets.token_urlsafe(18): 24 characters of the URL-safe alphabet, and nothing else, since
# the token names a file.
UPLOAD_ID_FORMAT = r"^[A-Za-z0-9_-]{24}$"


class RateForm(FlaskForm):
    """Add a rate, or change the one a currency already has on that day.

    The page builds it with prefix="rate": the history filter has a currency field too.
    """

    currency = StringField(_l("Currency"), validators=[InputRequired(), CURRENCY_FORMAT],
                           render_kw={"list": "currencies", "maxlength": 3,
                                      "autocapitalize": "characters", "autocomplete": "off"})
    valid_on = DateField(_l("Valid from"), default=lambda: utcnow().date(),
                         validators=[DataRequired(message=_l("Enter a date."))])
    per_base = StringField(_l("Units per base unit"), validators=[InputRequired(), Length(max=32)],
                           render_kw={"inputmode": "decimal", "autocomplete": "off"})


class RateFileForm(FlaskForm):
    """An ECB file to check; nothing is written until the check is confirmed."""

    file = FileField(_l("ECB file (CSV or zip)"), validators=[FileRequired(_l("Choose a file."))],
                     render_kw={"accept": ".csv,.zip,text/csv,application/zip"})


class ConfirmImportForm(FlaskForm):
    """Import the file that was checked, by the token it was kept under."""

    token = HiddenField(validators=[DataRequired(), Regexp(UPLOAD_ID_FORMAT)])


class RateFilterForm(FlaskForm):
    """Narrow the history to one currency; read from the query string, so no token."""

    class Meta:
        csrf = False

    currency = SelectField(_l("Currency"), choices=options([("", _l("All currencies"))]),
                           default="")


def filter_choices(currencies: list[str]):
    """The filter's options: every currency that has rates."""
    return options([("", _("All currencies")), *((c, c) for c in currencies)])
