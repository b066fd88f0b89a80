"""Shared column types and the id/created_at/updated_at mixin every table uses."""

import enum
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """The current moment, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    tagged as UTC on the way out; PostgreSQL stores timestamptz.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a timezone-aware one is required")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Rate(sa.types.TypeDecorator):
    """An exchange rate: NUMERIC(20, 10), read back exactly on both databases.

    SQLite keeps a NUMERIC value as a double, and SQLAlchemy would format it with ten
    places ("4.2750000000" becomes 4.2749999999...); read back with repr() instead, a
    value of at most 15 significant digits (what the rate checks allow) comes back exactly.
    """

    impl = sa.Numeric(20, 10)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Numeric(20, 10, asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(20, 10))

    def process_result_value(self, value, dialect):
        if isinstance(value, float | int):
            return Decimal(repr(value))
        return value


def enum_column(enum_class: type[enum.Enum], name: str, **kwargs) -> sa.Enum:
    """A string column limited to an enum's values by a named CHECK constraint."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_class),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        **kwargs,
    )


def upper_letters_check(column: str, length: int) -> str:
    """SQL that holds when a column is exactly `length` letters A-Z, on both databases.

    Removing A..Z one by one must leave nothing. Unlike BETWEEN 'A' AND 'Z', replace() does
    not depend on the collation (under en_US, 'É' sorts between A and Z).
    """
    stripped = column
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        stripped = f"replace({stripped}, '{letter}', '')"
    return f"length({column}) = {length} AND {stripped} = ''"


def currency_check(column: str) -> str:
    """SQL that holds when a column is a three-letter upper-case ISO 4217 code."""
    return upper_letters_check(column, 3)


class TimestampMixin:
    """id, created_at and updated_at, which every table carries."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
