"""Downloadable template files: the header row and one example row, as CSV and XLSX. Column
names stay English (the import reads them); the XLSX's notes on the columns are in the
language of the request that downloads it (English without one)."""

import csv
import io
from datetime import date, time

from flask_babel import gettext as _

from .layout import COLUMNS


def template_csv() -> bytes:
    """A CSV UTF-8 template (with a BOM, so that spreadsheet programs read it as UTF-8)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.name for column in COLUMNS])
    writer.writerow([column.example for column in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """An XLSX template: the layout on the first sheet, what each column holds on a second."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Screenings"
    sheet.append([column.name for column in COLUMNS])
    example = []
    for column in COLUMNS:
        # Real date and time cells: the import reads them as well as text.
        if column.name == "date":
            example.append(date.fromisoformat(column.example))
        elif column.name == "start_time":
            example.append(time.fromisoformat(column.example))
        else:
            example.append(column.example)
    sheet.append(example)
    sheet["A2"].number_format = "yyyy-mm-dd"
    sheet["B2"].number_format = "hh:mm"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2)
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("Columns")
    help_sheet.append([_("Column"), _("Required"), _("What it holds")])
    for column in COLUMNS:
        # str(): openpyxl writes plain text only, and this translates the lazy description.
        help_sheet.append([column.name, _("yes") if column.required else _("no"),
                           str(column.help)])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    help_sheet.column_dimensions["C"].width = 90
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
