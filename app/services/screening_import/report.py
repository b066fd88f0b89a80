"""The row-by-row report of an import, as stored on the job (JSON) and printed by the CLI."""

import json
from dataclasses import dataclass, field

from .checking import CREATE, DUPLICATE, REFUSED, RowResult

# What a row came to, as the report names it.
CREATED, VALID = "created", "valid"
ORDER = {REFUSED: 0, DUPLICATE: 1, VALID: 2, CREATED: 3}


@dataclass
class Report:
    """What happened to the file and to each row."""

    dry_run: bool = False
    written: bool = False
    problems: list[str] = field(default_factory=list)  # the file as a whole was refused
    rows: list[dict] = field(default_factory=list)
    error: str | None = None  # an unexpected failure: nothing was written

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
        """The report as stored on an ImportJob."""
        return json.dumps({"dry_run": self.dry_run, "written": self.written,
                           "problems": self.problems, "rows": self.rows, "error": self.error})

    @classmethod
    def from_json(cls, text: str | None) -> "Report | None":
        """A stored report, or None before there is one."""
        if not text:
            return None
        data = json.loads(text)
        return cls(dry_run=data["dry_run"], written=data["written"], problems=data["problems"],
                   rows=data["rows"], error=data.get("error"))

    def lines(self) -> list[str]:
        """The report as printed lines: the problems, then each row worth reading."""
        if self.problems or self.error:
            return [f"File refused: {problem}" for problem in self.problems] + (
                [f"Import failed: {self.error}"] if self.error else [])
        lines = []
        for row in self.sorted_rows():
            if row["outcome"] in (REFUSED, DUPLICATE):
                word = "refused" if row["outcome"] == REFUSED else "skipped"
                for column, message in row["reasons"]:
                    lines.append(f"Row {row['row']} {word} ({row['label']}): {column}: {message}")
        counts = self.counts
        verb = "Created" if self.written else "Valid"
        lines.append(f"{verb}: {counts[CREATED] + counts[VALID]}, skipped as duplicates: "
                     f"{counts[DUPLICATE]}, refused: {counts[REFUSED]}.")
        if self.refused:
            lines.append("Nothing was written: correct the refused rows and import the file again.")
        elif self.dry_run:
            lines.append("Dry run: nothing was written.")
        return lines
