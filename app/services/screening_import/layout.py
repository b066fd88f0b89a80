"""The column layout of a past-screenings spreadsheet: names, aliases, what each holds."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .messages import N_, Message

# Hard limits: a file beyond them is refused before any row is read.
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# An XLSX is a zip: refuse one that would unpack to far more than any real sheet of
# MAX_ROWS rows (a "zip bomb"), before openpyxl reads it.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
DEFAULT_START_TIME = "19:00"
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    """One column of the layout."""

    name: str
    required: bool
    help: LazyString  # in the reader's language wherever it is shown
    example: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("date", True, _l("Day of the screening, local to the city: YYYY-MM-DD (or a date "
                            "cell). It must be in the past."), "2025-03-14"),
    Column("start_time", False, _l("Local start time, HH:MM (or a time cell); %(time)s when "
                                   "empty.", time=DEFAULT_START_TIME),
           "19:30", ("time", "local_start_time", "start")),
    Column("city", True, _l("City name, in English or a local spelling (\"Kyiv\", \"Kiev\")."),
           "Helsinki"),
    Column("country", True, _l("ISO 3166 two-letter country code."), "FI", ("country_code",)),
    Column("film", True, _l("Film slug or exact title."), "part-one"),
    Column("collectives", True, _l("Host collective slug or exact name; several separated by "
                                   "\"%(separator)s\".", separator=LIST_SEPARATOR),
           "kino-kollektiv", ("collective", "host", "hosts")),
    Column("venue_name", True, _l("Name of the venue."), "Lepakkomies", ("venue",)),
    Column("venue_address", False, _l("Street address of the venue (kept private unless "
                                      "visibility is public)."), "Secret Street 1", ("address",)),
    Column("visibility", False, _l("Who may see the address: public, city_only or on_request; "
                                   "city_only when empty."), "city_only"),
    Column("beneficiary", True, _l("Beneficiary slug or exact name."), "solidarity-collectives"),
    Column("purpose", True, _l("What the money was for."), "Medical supplies"),
    Column("goal_amount", False, _l("Fundraising goal, digits with a decimal point "
                                    "(with goal_currency)."), "500.00", ("goal",)),
    Column("goal_currency", False, _l("ISO 4217 code of the goal."), "EUR"),
    Column("attendance", False, _l("How many people came (a whole number)."), "80"),
    Column("raised_amount", False, _l("Money raised at the screening, recorded as one "
                                      "collected contribution (with raised_currency)."),
           "420.50", ("raised", "amount_raised")),
    Column("raised_currency", False, _l("ISO 4217 code of the money raised."), "EUR"),
    Column("title", False, _l("The screening's own title, if it had one."), ""),
    Column("description", False, _l("Notes or a description of the evening."),
           "With a talk by a volunteer medic.", ("notes", "note")),
)

BY_NAME = {column.name: column for column in COLUMNS}
REQUIRED = tuple(column.name for column in COLUMNS if column.required)


def _key(header: str) -> str:
    """Header text as a lookup key: case, spaces, dashes and a BOM do not matter."""
    return "_".join(header.replace("\ufeff", "").strip().casefold().replace("-", " ").split())


_LOOKUP = {_key(alias): column.name for column in COLUMNS
           for alias in (column.name, *column.aliases)}


def map_headers(headers: list[str]) -> tuple[dict[int, str], list[Message]]:
    """Column positions by layout name, and the problems with the header row."""
    positions: dict[int, str] = {}
    problems: list[Message] = []
    seen: dict[str, str] = {}
    for index, header in enumerate(headers):
        text = (header or "").strip()
        if not text:
            continue  # an unnamed column (often a trailing empty one) is ignored
        name = _LOOKUP.get(_key(text))
        if name is None:
            problems.append(Message.of(N_("Unknown column \u201c%(name)s\u201d."), name=text))
        elif name in seen:
            problems.append(Message.of(
                N_("Columns \u201c%(first)s\u201d and \u201c%(second)s\u201d both give "
                   "%(name)s."), first=seen[name], second=text, name=name))
        else:
            seen[name], positions[index] = text, name
    missing = [name for name in REQUIRED if name not in seen]
    if missing:
        problems.append(Message.of(N_("Missing required column(s): %(names)s."),
                                   names=", ".join(missing)))
    if problems:
        problems.append(Message.of(N_("The columns are: %(names)s."),
                                   names=", ".join(column.name for column in COLUMNS)))
    return positions, problems
