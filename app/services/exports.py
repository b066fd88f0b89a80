"""Ledger figures taken out of the app: CSV exports for spreadsheets (every contribution,
streamed, and each breakdown) and the public figures (/transparency, raised against a goal).

CSV files open cleanly in Excel and LibreOffice: UTF-8 with a byte order mark, CRLF line
ends, a single header row, ISO dates, amounts as decimal text beside their currency, and
every cell that a spreadsheet would read as a formula neutralised (OWASP CSV injection).
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    Beneficiary,
    City,
    Collective,
    Contribution,
    Country,
    Film,
    Fundraiser,
    Screening,
    User,
    screening_hosts,
)
from . import ledger, localtime, money, permissions
from .errors import NotFound
from .ledger import progress
from .ledger.aggregates import STATES, filter_conditions

BOM = "\ufeff"
# Characters that make Excel or LibreOffice read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows written before a chunk goes out: small enough for constant memory, large enough
# that the response is not thousands of tiny writes.
CHUNK_ROWS = 500
FETCH_ROWS = 1000
# Joins collective names in SQL; names are sorted and re-joined with "; " per row.
_NAME_SEPARATOR = "\x1f"

CONTRIBUTION_COLUMNS = (
    "id", "screening_id", "screening_title", "screening_date", "city", "country_code",
    "collectives", "film", "beneficiary", "received_on", "channel", "state", "amount",
    "currency", "base_amount", "base_currency", "rate_per_base", "rate_valid_on",
    "transfer_reference", "transferred_on", "confirmed_at",
)
BREAKDOWN_COLUMNS = (
    "key", "label", "raised", "reached", "pledged",
    *(f"state_{state}" for state in STATES), "count", "unconverted", "base_currency",
)


def neutralise(value: object) -> str:
    """The cell as text, with a leading apostrophe if a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_chunks(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The CSV text (BOM, header, rows) in chunks of CHUNK_ROWS rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the excel dialect: CRLF, quotes only where needed
    buffer.write(BOM)
    writer.writerow(header)
    for n, row in enumerate(rows, 1):
        writer.writerow([neutralise(cell) for cell in row])
        if n % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_filename(kind: str, filters: ledger.Filters, today: date | None = None) -> str:
    """A file name that says what was exported, with which filters, on which day."""
    parts = [kind, *(f"{name}-{value}" for name, value in ledger.filter_args(filters).items()),
             (today or datetime.now(UTC).date()).isoformat()]
    return re.sub(r"[^A-Za-z0-9._-]", "_", "-".join(parts)) + ".csv"


def organiser_scope(user: User) -> frozenset[int]:
    """The collectives an organiser's exports cover: those the user belongs to (coordinators
    too, as on /organiser/money; their whole-tour exports are under /coordination/)."""
    return frozenset(permissions.member_collective_ids(user))


def parse_filters(args: Mapping[str, str], scope: frozenset[int] | None) -> ledger.Filters:
    """The query-string filters within a collective scope (None: the whole tour), checked as
    on the money dashboard: a collective outside the scope is refused like an unknown one.

    ValidationFailed names each argument at fault.
    """
    allowed = None
    if scope is not None:
        allowed = set(db.session.scalars(select(Collective.slug)
                                         .where(Collective.id.in_(scope))))
    return progress.scoped_filters(args, scope, allowed)


# --- contributions, one row each ---------------------------------------------------------


def _contribution_conditions(filters: ledger.Filters) -> list:
    """The ledger's filters on the raw contribution rows."""
    return filter_conditions(
        filters, day=Contribution.received_on, country_id=City.country_id,
        film_id=Screening.film_id, beneficiary_id=Fundraiser.beneficiary_id,
        fundraiser_id=Contribution.fundraiser_id,
    )


def contributions_query(filters: ledger.Filters):
    """One SELECT with everything a contribution row shows, joined (hosts aggregated) in SQL."""
    hosts = (
        select(func.aggregate_strings(Collective.name, _NAME_SEPARATOR))
        .select_from(screening_hosts)
        .join(Collective, Collective.id == screening_hosts.c.collective_id)
        .where(screening_hosts.c.screening_id == Screening.id)
        .scalar_subquery()
    )
    return (
        select(
            Contribution.id, Screening.id, Screening.title, Film.title, Screening.starts_at,
            Screening.timezone, City.name, Country.code, hosts, Beneficiary.name,
            Contribution.received_on, Contribution.channel, Contribution.state,
            Contribution.amount_minor, Contribution.currency, Contribution.base_currency,
            Contribution.base_amount_minor, Contribution.rate_per_base,
            Contribution.rate_valid_on, Contribution.transfer_reference,
            Contribution.transferred_on, Contribution.confirmed_at,
        )
        .select_from(Contribution)
        .join(Fundraiser, Contribution.fundraiser_id == Fundraiser.id)
        .join(Screening, Fundraiser.screening_id == Screening.id)
        .join(City, Screening.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .join(Film, Screening.film_id == Film.id)
        .join(Beneficiary, Fundraiser.beneficiary_id == Beneficiary.id)
        .where(*_contribution_conditions(filters))
        .order_by(Contribution.received_on, Contribution.id)
    )


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _rate(value: Decimal) -> str:
    """A rate as plain decimal text without trailing zeros ("4.275", never "4.2750000000")."""
    return format(Decimal(value).normalize(), "f")


def _hosts(joined: str | None) -> str:
    """The host collectives' names, sorted, "; " between them. Each name is neutralised on
    its own: a spreadsheet that splits on semicolons would otherwise start a cell with it."""
    if not joined:
        return ""
    return "; ".join(neutralise(name) for name in sorted(joined.split(_NAME_SEPARATOR),
                                                         key=str.casefold))


def _contribution_row(row, base: str) -> list[object]:
    (cid, screening_id, title, film, starts_at, zone, city, country, hosts, beneficiary,
     received_on, channel, state, amount, currency, base_currency, base_amount, rate,
     rate_valid_on, reference, transferred_on, confirmed_at) = row
    # As in the totals: only an amount converted into today's base currency counts as such.
    converted = base_amount is not None and base_currency == base
    foreign = converted and currency != base
    return [
        cid, screening_id, title or film,
        localtime.to_local(starts_at, zone).date().isoformat(), city, country,
        _hosts(hosts),
        film, beneficiary, received_on.isoformat(), str(channel), str(state),
        money.format_plain(amount, currency), currency,
        money.format_plain(base_amount, base) if converted else "", base,
        _rate(rate) if foreign else "", _iso(rate_valid_on) if foreign else "",
        reference or "", _iso(transferred_on),
        confirmed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if confirmed_at else "",
    ]


def contribution_rows(filters: ledger.Filters) -> Iterator[list[object]]:
    """Each contribution as a row of CONTRIBUTION_COLUMNS, read from one streamed query."""
    base = ledger.base_currency()
    result = db.session.execute(contributions_query(filters),
                                execution_options={"yield_per": FETCH_ROWS})
    try:
        for row in result:
            yield _contribution_row(row, base)
    finally:
        result.close()


def contributions_csv(filters: ledger.Filters) -> Iterator[str]:
    """The contributions CSV in chunks; the query runs when the first chunk is asked for."""
    return _csv_chunks(CONTRIBUTION_COLUMNS, contribution_rows(filters))


# --- breakdowns ------------------------------------------------------------------------------


def breakdown_csv(group_by: str, filters: ledger.Filters) -> str:
    """One breakdown (ledger.breakdown) as CSV text; NotFound for an unknown grouping."""
    if group_by not in ledger.GROUPINGS:
        raise NotFound(_("No such breakdown."))
    base = ledger.base_currency()

    def plain(minor: int) -> str:
        return money.format_plain(minor, base)

    rows = (
        [group.key, group.label, plain(group.raised_minor), plain(group.reached_minor),
         plain(group.pledged_minor), *(plain(group.by_state[str(s)]) for s in STATES),
         group.count, group.unconverted, base]
        for group in ledger.breakdown(group_by, filters)
    )
    return "".join(_csv_chunks(BREAKDOWN_COLUMNS, rows))
