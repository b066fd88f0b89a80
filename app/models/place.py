"""Countries, cities (from the offline gazetteer or added by hand) and venues."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, UTCDateTime, enum_column, upper_letters_check


class Country(TimestampMixin, db.Model):
    """A country by ISO 3166-1 alpha-2 code."""

    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(sa.String(2), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    __table_args__ = (
        sa.CheckConstraint(upper_letters_check("code", 2), name="code_format"),
    )

    def __repr__(self) -> str:
        return f"<Country {self.code}>"


class City(TimestampMixin, db.Model):
    """A city with its centre point and IANA timezone; map pins of private venues sit here."""

    __tablename__ = "cities"

    name: Mapped[str] = mapped_column(sa.String(160))
    country_id: Mapped[int] = mapped_column(sa.ForeignKey("countries.id"), index=True)
    lat: Mapped[float] = mapped_column()
    lon: Mapped[float] = mapped_column()
    timezone: Mapped[str] = mapped_column(sa.String(64))
    geonames_id: Mapped[int | None] = mapped_column(unique=True)

    country: Mapped[Country] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("name", "country_id"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
    )

    def __repr__(self) -> str:
        return f"<City {self.name}>"


class Visibility(enum.StrEnum):
    """Who may see a venue's exact address (DESIGN.md section 5)."""

    PUBLIC = "public"
    CITY_ONLY = "city_only"
    ON_REQUEST = "on_request"


class Venue(TimestampMixin, db.Model):
    """Where a screening takes place; its address is private unless made public."""

    __tablename__ = "venues"

    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(500), default="")
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    lat: Mapped[float | None] = mapped_column()
    lon: Mapped[float | None] = mapped_column()
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "venue_visibility"), default=Visibility.CITY_ONLY
    )
    address_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    city: Mapped[City] = relationship()

    def __repr__(self) -> str:
        return f"<Venue {self.id}>"
