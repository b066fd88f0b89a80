"""Bulk import of past screenings from a CSV or XLSX file: read, check every row against
the catalogue (loaded once), then write all rows or none. Functions flush; the caller
commits. jobs runs the same steps in the background for the upload page."""

from collections.abc import Callable
from datetime import datetime

from ...models import User, utcnow
from .. import audit
from .catalogue import load as load_catalogue
from .checking import CREATE, DUPLICATE, REFUSED, RowResult, check_rows
from .layout import COLUMNS, DEFAULT_START_TIME, MAX_BYTES, MAX_ROWS
from .messages import Message, recording
from .reading import FORMATS, FileRefused, Row, file_format, read
from .report import CREATED, VALID, Report
from .templates import template_csv, template_xlsx
from .writing import write

__all__ = [
    "COLUMNS", "CREATE", "CREATED", "DEFAULT_START_TIME", "DUPLICATE", "FORMATS", "MAX_BYTES",
    "MAX_ROWS", "REFUSED", "VALID", "FileRefused", "Message", "Report", "Row", "RowResult", "check",
    "file_format", "import_file", "read", "template_csv", "template_xlsx", "write_checked",
]


def check(rows: list[Row], now: datetime | None = None,
          progress: Callable[[int], None] | None = None) -> list[RowResult]:
    """Every row's outcome, matched against a catalogue loaded in a few queries."""
    catalogue = load_catalogue(rows)
    # Reasons that services raise keep their msgid: the report is translated when read.
    with recording():
        return check_rows(rows, catalogue, now or utcnow(), progress)


def write_checked(results: list[RowResult], actor: User, source: str) -> int:
    """Write the rows to create (the caller made sure none was refused); their count."""
    created = write(results, actor, source)
    audit.record(actor, "screenings.import", None, after={
        "source": source, "created": len(created),
        "skipped": sum(r.outcome == DUPLICATE for r in results),
    })
    return len(created)


def import_file(content: bytes, filename: str, actor: User | None, *, dry_run: bool = False,
                on_rows: Callable[[int], None] | None = None,
                progress: Callable[[int], None] | None = None) -> Report:
    """Read, check and (unless a dry run or a row is refused) write a whole file.

    on_rows gets the number of data rows once read, progress the rows checked so far. A
    refused file or row writes nothing; the report says why, row by row.
    """
    try:
        rows = read(content, file_format(filename))
    except FileRefused as exc:
        return Report(dry_run=dry_run, problems=exc.problems)
    if on_rows is not None:
        on_rows(len(rows))
    results = check(rows, progress=progress)
    refused = any(result.outcome == REFUSED for result in results)
    written = not dry_run and not refused
    if written:
        write_checked(results, actor, filename)
    return Report.of(results, dry_run=dry_run, written=written)
