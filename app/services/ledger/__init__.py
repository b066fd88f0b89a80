"""The money ledger: recording and correcting contributions, converting them to the base
currency, and totals by SQL. Everything is importable from here."""

from .aggregates import (
    GROUPINGS,
    CurrencyTotal,
    Filters,
    Group,
    Totals,
    breakdown,
    raised_by_fundraiser,
    totals,
    totals_for_fundraiser,
)
from .entries import (
    MAX_NOTE,
    MAX_REASON,
    MAX_REFERENCE,
    STALE_CONTRIBUTION,
    StaleEdit,
    contributions_of,
    convert,
    get_contribution,
    rate_for,
    record_contribution,
    update_contribution,
)
from .filters import FILTER_ARGS, filter_args, parse_filters
from .rollup import base_currency, mismatches, refile
from .rollup import rebuild as rebuild_days

__all__ = [
    "FILTER_ARGS",
    "GROUPINGS",
    "MAX_NOTE",
    "MAX_REASON",
    "MAX_REFERENCE",
    "STALE_CONTRIBUTION",
    "CurrencyTotal",
    "Filters",
    "Group",
    "StaleEdit",
    "Totals",
    "base_currency",
    "breakdown",
    "contributions_of",
    "convert",
    "filter_args",
    "get_contribution",
    "mismatches",
    "parse_filters",
    "raised_by_fundraiser",
    "rate_for",
    "rebuild_days",
    "record_contribution",
    "refile",
    "totals",
    "totals_for_fundraiser",
    "update_contribution",
]
