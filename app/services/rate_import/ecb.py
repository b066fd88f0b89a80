"""The European Central Bank's CSV files (the daily eurofxref.csv and the historical
eurofxref-hist.csv, or their zip files) read into rates per base unit, every fault named."""

import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext

from .. import money, rates
from ..errors import DomainError

ECB_BASE = "EUR"  # every figure in an ECB file is units of the currency per one euro
MAX_PROBLEMS = 100  # a wholly wrong file would otherwise list thousands of lines
MAX_UNZIPPED = 20 * 1024 * 1024  # the full history is about 2 MB: far more is not a rate file
MISSING = ("", "N/A")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The daily file writes "01 April 2026"; English month names whatever the server's locale.
MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}


class ImportRefused(DomainError):
    """The file cannot be imported; `problems` name the row and column of each fault."""

    def __init__(self, problems: list[str], more: int = 0):
        super().__init__(ngettext("The file was not imported: %(num)s problem.",
                                  "The file was not imported: %(num)s problems.",
                                  len(problems) + more))
        self.problems, self.more = problems, more


@dataclass(frozen=True)
class ParsedRates:
    """The rates a file holds, per base unit, ready for rates.set_rates."""

    layout: str  # "daily" (eurofxref.csv) or "historical" (eurofxref-hist.csv)
    base: str
    entries: list[tuple[str, date, Decimal]]
    days: int
    first_day: date
    last_day: date
    per_currency: dict[str, int] = field(default_factory=dict)


class _Problems:
    """Collects the faults of a file, keeping the first MAX_PROBLEMS messages."""

    def __init__(self):
        self.messages: list[str] = []
        self.more = 0

    def add(self, message: str) -> None:
        if len(self.messages) < MAX_PROBLEMS:
            self.messages.append(message)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.messages)

    def refuse(self) -> ImportRefused:
        return ImportRefused(self.messages, self.more)


def _unzip(data: bytes) -> bytes:
    """The CSV inside an ECB zip file; the ECB ships one CSV per zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in archive.infolist() if i.filename.lower().endswith(".csv")]
        if len(members) != 1:
            raise ImportRefused([_("The zip file must hold exactly one .csv file.")])
        # Read one byte past the limit: the sizes in a zip's directory can lie.
        with archive.open(members[0]) as member:
            content = member.read(MAX_UNZIPPED + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise ImportRefused([_("The zip file cannot be read (%(error)s).", error=exc)]) from exc
    if len(content) > MAX_UNZIPPED:
        raise ImportRefused([_("The file in the zip is far larger than an exchange-rate file.")])
    return content


def _text(data: bytes) -> str:
    """The file as text; a UTF-8 byte-order mark is fine, other encodings are refused."""
    if data.startswith(b"PK\x03\x04"):
        data = _unzip(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        row = data.count(b"\n", 0, exc.start) + 1
        column = data.count(b",", line_start, exc.start) + 1
        byte = f"0x{data[exc.start]:02X}"
        raise ImportRefused([
            _("Row %(row)s, column %(column)s: the file is not UTF-8 text (byte %(byte)s cannot "
              "be read). Save it as UTF-8, as the ECB does.", row=row, column=column,
              byte=byte)
        ]) from exc


def _day(text: str) -> date | None:
    """2026-04-01 (historical file) or 01 April 2026 (daily file); None if neither."""
    try:
        if _ISO_DAY.match(text):
            return date.fromisoformat(text)
        day, month, year = text.split()
        return date(int(year), MONTHS[month.lower()], int(day))
    except (ValueError, KeyError):
        return None


def _header(row: list[str], base: str, problems: _Problems) -> list[str]:
    """The currency codes of the columns after Date, checked."""
    cells = [c.strip() for c in row]
    while len(cells) > 1 and cells[-1] == "":  # the ECB ends every line with a comma
        cells.pop()
    if not cells or cells[0] != "Date":
        found = cells[0] if cells else ""
        problems.add(_('Row 1, column 1: expected "Date", found "%(found)s". This is not an '
                       "exchange-rate file in the European Central Bank's layout.", found=found))
        return []
    codes, seen = [], {}
    for number, cell in enumerate(cells[1:], start=2):
        code = cell.upper()
        where = _("Row %(row)s, column %(column)s", row=1, column=number)
        if not code:
            problems.add(_("%(where)s: the column has no currency code.", where=where))
        elif not re.fullmatch(r"[A-Z]{3}", code):
            problems.add(_('%(where)s: "%(cell)s" is not a three-letter currency code.',
                           where=where, cell=cell))
        elif code not in money.known_currencies():
            problems.add(_("%(where)s (%(code)s): %(code)s is not an ISO 4217 currency this "
                           "site knows.", where=where, code=code))
        elif code == ECB_BASE:
            problems.add(_("%(where)s (EUR): the file's rates are per euro, so it cannot have "
                           "a EUR column.", where=where))
        elif code in seen:
            problems.add(_("%(where)s (%(code)s): %(code)s is already column %(other)s.",
                           where=where, code=code, other=seen[code]))
        seen.setdefault(code, number)
        codes.append(code)
    if base != ECB_BASE and base not in seen and not problems:
        problems.add(_("Row 1: the file has no %(base)s column, so its rates cannot be turned "
                       "into rates per %(base)s (the base currency).", base=base))
    if len(cells) == 1:
        problems.add(_("Row 1: the file has no currency columns."))
    return codes


def _rate(text: str, where: str, problems: _Problems) -> Decimal | None:
    """One figure of the file, or None (with a problem) when it is not a usable rate."""
    if not _NUMBER.match(text):
        problems.add(_('%(where)s: "%(text)s" is not a number (write it as 4.2750).',
                       where=where, text=text))
        return None
    value = Decimal(text)
    if value <= 0:
        problems.add(_('%(where)s: a rate must be greater than zero, found "%(text)s".',
                       where=where, text=text))
        return None
    try:
        return rates.parse_per_base(value)
    except money.MoneyError as exc:
        problems.add(f'{where}: "{text}": {exc}')
        return None


def _per_base(values: dict[str, Decimal], base: str, where: str,
              problems: _Problems) -> dict[str, Decimal]:
    """A day's per-euro figures as per-base ones (cross rates through the base's column)."""
    if base == ECB_BASE:
        return values
    divisor = values.pop(base)
    derived = {code: rates.round_rate(value / divisor) for code, value in values.items()}
    derived[ECB_BASE] = rates.round_rate(1 / divisor)
    for code, value in derived.items():
        if not 0 < value < rates.MAX_PER_BASE:
            problems.add(_("%(where)s, column %(code)s: per %(base)s this rate is %(value)s, "
                           "which cannot be stored with %(places)s decimal places.",
                           where=where, code=code, base=base, value=value,
                           places=rates.MAX_PLACES))
    return derived


def parse(data: bytes, base: str, today: date) -> ParsedRates:
    """The rates of an ECB file per one `base` unit; ImportRefused listing every fault."""
    problems = _Problems()
    text = _text(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(c.strip() for c in header):
            raise ImportRefused([_("The file is empty.")])
        codes = _header(header, base, problems)
        if problems:
            raise problems.refuse()
        layout = "daily" if any(c.startswith(" ") for c in header[1:]) else "historical"
        width = len(codes) + 1
        entries: list[tuple[str, date, Decimal]] = []
        seen: dict[date, int] = {}
        for row in reader:
            number = reader.line_num
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            while len(cells) > width and cells[-1] == "":
                cells.pop()
            if len(cells) != width:
                problems.add(_("Row %(row)s: expected %(width)s columns as in the header, "
                               "found %(found)s.", row=number, width=width, found=len(cells)))
                continue
            day = _day(cells[0])
            if day is None:
                problems.add(_('Row %(row)s, column Date: "%(text)s" is not a date (write '
                               "2026-04-01 or 01 April 2026).", row=number, text=cells[0]))
                continue
            if day > today:
                problems.add(_("Row %(row)s, column Date: %(day)s has not come yet (today is "
                               "%(today)s).", row=number, day=day, today=today))
            if day in seen:
                problems.add(_("Row %(row)s, column Date: %(day)s is already in row %(other)s.",
                               row=number, day=day, other=seen[day]))
            seen.setdefault(day, number)
            values = {}
            for code, cell in zip(codes, cells[1:], strict=True):
                if cell not in MISSING:
                    where = _("Row %(row)s, column %(column)s", row=number, column=code)
                    value = _rate(cell, where, problems)
                    if value is not None:
                        values[code] = value
            if base != ECB_BASE and base not in values:
                if cells[1 + codes.index(base)] in MISSING:
                    problems.add(_("Row %(row)s, column %(base)s: no %(base)s rate on %(day)s, "
                                   "so the day's rates cannot be turned into rates per "
                                   "%(base)s (the base currency).", row=number, base=base,
                                   day=day))
                continue
            if values:
                per_base = _per_base(values, base, _("Row %(row)s", row=number), problems)
                entries.extend((code, day, value) for code, value in per_base.items())
    except csv.Error as exc:
        problems.add(_("Row %(row)s: the line cannot be read as CSV (%(error)s).",
                       row=reader.line_num, error=exc))
    if not problems and not entries:
        problems.add(_("The file holds no rates."))
    if problems:
        raise problems.refuse()
    per_currency = Counter(code for code, _, _ in entries)
    days = sorted({day for _, day, _ in entries})
    return ParsedRates(layout, base, entries, len(days), days[0], days[-1],
                       dict(sorted(per_currency.items())))
