"""Typed values in the portable archive's JSON Lines: each column gets a tag from its
SQLAlchemy type, and values are written and read back by tag, never guessed."""

import base64
import binascii
import enum
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

TAGS = ("int", "float", "bool", "str", "datetime", "date", "decimal", "bytes", "json")


def tag(column: sa.Column) -> str:
    """The archive's tag for a column, from the type it stores as."""
    kind = column.type
    kind = getattr(kind, "impl_instance", kind)  # a TypeDecorator (UTCDateTime, Rate)
    # Order matters: Float is a Numeric, Enum is a String, DateTime is not a Date.
    for cls, name in ((sa.JSON, "json"), (sa.Boolean, "bool"), (sa.DateTime, "datetime"),
                      (sa.Date, "date"), (sa.Float, "float"), (sa.Numeric, "decimal"),
                      (sa.Integer, "int"), (sa.LargeBinary, "bytes"), (sa.String, "str")):
        if isinstance(kind, cls):
            return name
    raise TypeError(f"no backup tag for {column.table.name}.{column.name} ({kind!r})")


def read_expression(column: sa.Column):
    """What to select for a column: JSON as its stored text, so that SQL NULL and JSON null
    (and the exact spelling) survive; everything else through its own type."""
    if tag(column) == "json":
        return sa.cast(column, sa.Text).label(column.name)
    return column


def encode(value, kind: str):
    """A value read from the database as a JSON-ready value."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return value.value
    if kind == "datetime":
        return value.isoformat()  # aware values carry their offset (+00:00)
    if kind == "date":
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "float":
        return float(value)
    return value


class BadValue(ValueError):
    """A value in the archive does not fit its column's tag."""


def decode(value, kind: str):
    """A JSON value from the archive as the Python value its column takes."""
    if value is None:
        return None
    try:
        return _DECODERS[kind](value)
    except (ValueError, TypeError, InvalidOperation, binascii.Error) as exc:
        raise BadValue(f"{value!r} is not a valid {kind}") from exc


def _int(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    return value


def _float(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return float(value)


def _instance(cls):
    def check(value):
        if not isinstance(value, cls):
            raise TypeError
        return value
    return check


def _datetime(value):
    parsed = datetime.fromisoformat(_instance(str)(value))
    if parsed.tzinfo is None:
        raise ValueError("no offset")
    return parsed


def _json(value):
    json.loads(_instance(str)(value))  # stored as its text; it must still be JSON
    return value


_DECODERS = {
    "int": _int,
    "float": _float,
    "bool": _instance(bool),
    "str": _instance(str),
    "datetime": _datetime,
    "date": lambda v: date.fromisoformat(_instance(str)(v)),
    "decimal": lambda v: Decimal(_instance(str)(v)),
    "bytes": lambda v: base64.b64decode(_instance(str)(v), validate=True),
    "json": _json,
}
