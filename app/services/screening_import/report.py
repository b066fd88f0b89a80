"""The row-by-row report of an import, as stored on the job (JSON) and printed by the CLI."""

import json
from dataclasses import dataclass, field

from flask_babel import gettext as _

from .checking import CREATE, DUPLICATE, REFUSED, RowResult
from .messages import Message

# What a row came to, as the report names it.
CREATED, VALID = "created", "valid"
ORDER = {REFUSED: 0, DUPLICATE: 1, VALID: 2, CREATED: 3}


@dataclass
class Report:
    """What happened to the file and to each row; its messages are translated when shown."""

    dry_run: bool = False
    written: bool = False
    problems: list[Message] = field(default_factory=list)  # the file as a whole was refused
    # {"row", "outcome", "label", "reasons": [[column, Message], ...], "screening_id"}
    rows: list[dict] = field(default_factory=list)
    error: Message | None = None  # an unexpected failure: nothing was written

    @classmethod
    def of(cls, results: list[RowResult], *, dry_run: bool, written: bool) -> "Report":
        """The report of checked (and perhaps written) rows."""
        rows = []
        for result in results:
            outcome = result.outcome
            if outcome == CREATE:
                outcome = CREATED if written else VALID
            rows.append({
                "row": result.number, "outcome": outcome, "label": result.label,
                "reasons": [list(reason) for reason in result.reasons],
                "screening_id": result.screening_id or result.duplicate_of,
            })
        return cls(dry_run=dry_run, written=written, rows=rows)

    @property
    def counts(self) -> dict[str, int]:
        """How many rows came to each outcome."""
        counts = dict.fromkeys(ORDER, 0)
        for row in self.rows:
            counts[row["outcome"]] += 1
        return counts

    @property
    def refused(self) -> bool:
        """Whether the import was refused (so nothing was written)."""
        return bool(self.problems or self.error or self.counts[REFUSED])

    def sorted_rows(self) -> list[dict]:
        """Refused rows first, then skipped ones, then the rest, each in file order."""
        return sorted(self.rows, key=lambda row: (ORDER[row["outcome"]], row["row"]))

    def to_json(self) -> str:
        """The report as stored on an ImportJob: messages as msgids and values."""
        rows = [{**row, "reasons": [[column, message.to_json()]
                                    for column, message in row["reasons"]]}
                for row in self.rows]
        return json.dumps({
            "dry_run": self.dry_run, "written": self.written,
            "problems": [problem.to_json() for problem in self.problems], "rows": rows,
            "error": self.error.to_json() if self.error is not None else None,
        })

    @classmethod
    def from_json(cls, text: str | None) -> "Report | None":
        """A stored report, or None before there is one. Reports stored before messages were
        translatable hold plain English strings: they load as messages of that text."""
        if not text:
            return None
        data = json.loads(text)
        rows = [{**row, "reasons": [[column, Message.from_json(message)]
                                    for column, message in row["reasons"]]}
                for row in data["rows"]]
        error = data.get("error")
        return cls(dry_run=data["dry_run"], written=data["written"],
                   problems=[Message.from_json(problem) for problem in data["problems"]],
                   rows=rows, error=Message.from_json(error) if error else None)

    def lines(self) -> list[str]:
        """The report as printed lines, in the current language: the problems, then each row
        worth reading, then the counts."""
        if self.problems or self.error:
            return [_("File refused: %(problem)s", problem=str(problem))
                    for problem in self.problems] + (
                [_("Import failed: %(error)s", error=str(self.error))] if self.error else [])
        lines = []
        for row in self.sorted_rows():
            if row["outcome"] not in (REFUSED, DUPLICATE):
                continue
            for column, message in row["reasons"]:
                values = {"row": row["row"], "label": row["label"], "column": column,
                          "message": str(message)}
                if row["outcome"] == REFUSED:
                    lines.append(_("Row %(row)s refused (%(label)s): %(column)s: %(message)s",
                                   **values))
                else:
                    lines.append(_("Row %(row)s skipped (%(label)s): %(column)s: %(message)s",
                                   **values))
        counts = self.counts
        values = {"done": counts[CREATED] + counts[VALID], "skipped": counts[DUPLICATE],
                  "refused": counts[REFUSED]}
        lines.append(_("Created: %(done)s, skipped as duplicates: %(skipped)s, refused: "
                       "%(refused)s.", **values) if self.written else
                     _("Valid: %(done)s, skipped as duplicates: %(skipped)s, refused: "
                       "%(refused)s.", **values))
        if self.refused:
            lines.append(_("Nothing was written: correct the refused rows and import the file "
                           "again."))
        elif self.dry_run:
            lines.append(_("Dry run: nothing was written."))
        return lines
