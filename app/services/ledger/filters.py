"""Money filters from a query string (?from=&to=&country=&film=&beneficiary=&collective=),
checked against the database so that a mistyped slug is an error, not an empty report."""

from collections.abc import Mapping
from dataclasses import replace

from flask_babel import gettext as _

from ...models import Beneficiary, Collective, Country, Film
from ..errors import ValidationFailed
from ..query_args import iso_date, require_known
from .aggregates import Filters

FILTER_ARGS = ("from", "to", "country", "film", "beneficiary", "collective")


def parse_filters(args: Mapping[str, str], base: Filters | None = None) -> Filters:
    """Filters from request arguments, on top of `base` (e.g. an organiser's scope).

    ValidationFailed names each argument at fault (malformed date, from after to, unknown
    country, film, beneficiary or collective).
    """
    errors: dict[str, str] = {}
    values = {name: (args.get(name) or "").strip() for name in FILTER_ARGS}
    date_from = iso_date(values["from"], "from", errors)
    date_to = iso_date(values["to"], "to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = _("The end date is before the start date.")
    country = values["country"].upper()
    if country:
        require_known(Country, Country.code, country, "country", errors)
    for name, model in (("film", Film), ("beneficiary", Beneficiary),
                        ("collective", Collective)):
        if values[name]:
            require_known(model, model.slug, values[name], name, errors)
    if errors:
        raise ValidationFailed(errors)
    return replace(base or Filters(), date_from=date_from, date_to=date_to,
                   country=country or None, film=values["film"] or None,
                   beneficiary=values["beneficiary"] or None,
                   collective=values["collective"] or None)


def filter_args(filters: Filters) -> dict[str, str]:
    """The query-string arguments that reproduce the filters (for links and exports)."""
    pairs = {
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
        "country": filters.country or "", "film": filters.film or "",
        "beneficiary": filters.beneficiary or "", "collective": filters.collective or "",
    }
    return {name: value for name, value in pairs.items() if value}
