"""Checking query-string arguments that filters share: ISO dates and known slugs or codes.
Each function adds a message to `errors` under the argument's name instead of raising, so
that every bad argument is reported at once."""

from datetime import date

from sqlalchemy import select

from ..extensions import db

MAX_TEXT = 100


def iso_date(value: str, name: str, errors: dict[str, str]) -> date | None:
    """A YYYY-MM-DD date, None when empty; a message in errors when malformed."""
    if not value:
        return None
    if len(value) == 10:  # fromisoformat() alone would also take "20260430"
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[name] = "Use a date like 2026-04-30."
    return None


def require_known(model, column, value: str, name: str, what: str,
                  errors: dict[str, str]) -> None:
    """A message in errors unless a row of `model` has `value` in `column`."""
    if len(value) > MAX_TEXT or db.session.scalar(select(model.id).where(column == value)) is None:
        errors[name] = f"There is no {what} {value[:MAX_TEXT]!r}."
