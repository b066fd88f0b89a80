"""Checking query-string arguments that filters share: ISO dates and known slugs or codes.
Each function adds a message to `errors` under the argument's name instead of raising, so
that every bad argument is reported at once."""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from ..extensions import db

MAX_TEXT = 100

# One whole sentence per kind, so that translators never have to assemble one.
UNKNOWN = {
    "country": lazy_gettext("There is no country with the code '%(value)s'."),
    "film": lazy_gettext("There is no film '%(value)s'."),
    "beneficiary": lazy_gettext("There is no beneficiary '%(value)s'."),
    "collective": lazy_gettext("There is no collective '%(value)s'."),
}


def iso_date(value: str, name: str, errors: dict[str, str]) -> date | None:
    """A YYYY-MM-DD date, None when empty; a message in errors when malformed."""
    if not value:
        return None
    if len(value) == 10:  # fromisoformat() alone would also take "20260430"
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[name] = _("Use a date like %(example)s.", example="2026-04-30")
    return None


def require_known(model, column, value: str, name: str, errors: dict[str, str]) -> None:
    """A message in errors unless a row of `model` has `value` in `column`; name keys UNKNOWN."""
    if len(value) > MAX_TEXT or db.session.scalar(select(model.id).where(column == value)) is None:
        errors[name] = UNKNOWN[name] % {"value": value[:MAX_TEXT]}
