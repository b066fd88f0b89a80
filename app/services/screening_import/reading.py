"""Reading a CSV or XLSX file into rows of raw cell values keyed by layout column."""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from ..errors import DomainError
from .layout import MAX_BYTES, MAX_ROWS, MAX_UNPACKED_BYTES, map_headers
from .messages import N_, Message

FORMATS = ("csv", "xlsx")


class FileRefused(DomainError):
    """The file as a whole cannot be read; problems say why, in words safe to show (str() of
    each gives it in the current language)."""

    def __init__(self, problems: list[Message]):
        super().__init__(" ".join(str(problem) for problem in problems))
        self.problems = problems


def too_large() -> FileRefused:
    """The refusal of a file over MAX_BYTES."""
    return FileRefused([Message.of(N_("The file is larger than %(mb)s MB: split it."),
                                   mb=MAX_BYTES // (1024 * 1024))])


@dataclass
class Row:
    """One data row: its number in the spreadsheet (the header is row 1) and its cells."""

    number: int
    cells: dict[str, object] = field(default_factory=dict)


def file_format(filename: str) -> str:
    """"csv" or "xlsx" from the file name; FileRefused for anything else."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in FORMATS:
        raise FileRefused([Message(N_("Upload a .csv or .xlsx file (an .xls or .ods file must "
                                      "first be saved as .xlsx or as CSV UTF-8)."))])
    return suffix


def read(content: bytes, fmt: str) -> list[Row]:
    """The file's non-empty data rows; FileRefused for a file that breaks a limit or rule."""
    if len(content) > MAX_BYTES:
        raise too_large()
    if not content.strip():
        raise FileRefused([Message(N_("The file is empty."))])
    table = _csv_table(content) if fmt == "csv" else _xlsx_table(content)
    try:
        headers = next(table)
    except StopIteration:
        raise FileRefused([Message(N_("The file is empty."))]) from None
    positions, problems = map_headers([_text(cell) for cell in headers])
    if problems:
        raise FileRefused(problems)
    rows: list[Row] = []
    for number, values in enumerate(table, start=2):
        cells = {name: values[index] if index < len(values) else None
                 for index, name in positions.items()}
        if all(_text(value) == "" for value in cells.values()):
            continue  # blank lines between blocks of data are common in spreadsheets
        if len(rows) == MAX_ROWS:
            raise FileRefused([Message.of(N_("The file has more than %(max)s rows: split it."),
                                          numbers=("max",), max=MAX_ROWS)])
        rows.append(Row(number, cells))
    if not rows:
        raise FileRefused([Message(N_("The file has a header row but no data rows."))])
    return rows


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _decode(content: bytes) -> str:
    """UTF-8 text, with or without a byte order mark; anything else is refused by name."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused([Message(N_("The file is encoded as UTF-16: save it as "
                                      "\u201cCSV UTF-8\u201d."))])
    if content.startswith(b"PK\x03\x04"):
        raise FileRefused([Message(N_("This looks like an XLSX file with a .csv name: rename "
                                      "it to .xlsx."))])
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise FileRefused([Message.of(
            N_("The file is not UTF-8 (byte %(byte)s on line %(line)s); it was probably saved "
               "as Windows-1252 or Latin-1. Save it as \u201cCSV UTF-8\u201d."),
            byte=f"0x{content[exc.start]:02x}", line=line,
        )]) from None


def _delimiter(header_line: str) -> str:
    """"," or ";" (spreadsheets in many European locales write ";"), whichever the header
    uses; quoted text is left out of the count."""
    outside = "".join(part for index, part in enumerate(header_line.split('"')) if index % 2 == 0)
    return ";" if outside.count(";") > outside.count(",") else ","


def _csv_table(content: bytes):
    text = _decode(content)
    if "\x00" in text:
        raise FileRefused([Message(N_("The file contains NUL bytes: it is not a CSV text "
                                      "file."))])
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        yield from ([cell for cell in row] for row in reader)
    except csv.Error as exc:
        # The csv module's own explanation is English: it is kept as a value.
        raise FileRefused([Message.of(N_("The CSV file is malformed on line %(line)s: "
                                         "%(error)s."), line=reader.line_num, error=str(exc))]) \
            from None


def _xlsx_table(content: bytes):
    # openpyxl is imported here: only XLSX uploads pay for loading it.
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise FileRefused([Message(N_("The file is not a valid XLSX workbook (an .xls file "
                                      "must first be saved as .xlsx)."))]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileRefused([Message(N_("The workbook is too large once unpacked: split it."))])
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, InvalidFileException...)
        raise FileRefused([Message.of(N_("The XLSX workbook cannot be read (%(error)s)."),
                                      error=type(exc).__name__)]) from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()
