"""What is screened (films) and who the money is for (beneficiaries)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import TimestampMixin


class Film(TimestampMixin, db.Model):
    """A film on tour, such as one part of the trilogy."""

    __tablename__ = "films"

    title: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    part: Mapped[int | None] = mapped_column()
    year: Mapped[int | None] = mapped_column()
    runtime_minutes: Mapped[int | None] = mapped_column()
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    subtitle_languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    synopsis: Mapped[str] = mapped_column(sa.Text, default="")
    screening_condition: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (
        sa.CheckConstraint("part IS NULL OR part >= 1", name="part_positive"),
        sa.CheckConstraint("runtime_minutes IS NULL OR runtime_minutes > 0", name="runtime"),
    )

    def __repr__(self) -> str:
        return f"<Film {self.slug}>"


class Beneficiary(TimestampMixin, db.Model):
    """A frontline mutual-aid group that receives the money raised."""

    __tablename__ = "beneficiaries"

    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    website: Mapped[str | None] = mapped_column(sa.String(500))

    def __repr__(self) -> str:
        return f"<Beneficiary {self.slug}>"
