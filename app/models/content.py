"""Texts in several languages: a screening's description and a film's synopsis per language."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin

# BCP 47 tags as Babel knows them: "uk", "it", "pt-BR", "sr-Latn"; the longest in CLDR fit.
LANGUAGE_LENGTH = 12


class ScreeningText(TimestampMixin, db.Model):
    """A screening's description in one language, beside the one written on the screening."""

    __tablename__ = "screening_texts"

    screening_id: Mapped[int] = mapped_column(
        sa.ForeignKey("screenings.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(sa.String(LANGUAGE_LENGTH))
    description: Mapped[str] = mapped_column(sa.Text)

    # A backref, so that the screening model needs no change: `screening.texts`, by language.
    screening: Mapped["Screening"] = relationship(  # noqa: F821
        backref=backref("texts", order_by="ScreeningText.language",
                        cascade="all, delete-orphan", passive_deletes=True),
    )

    __table_args__ = (sa.UniqueConstraint("screening_id", "language"),)

    def __repr__(self) -> str:
        return f"<ScreeningText {self.screening_id} {self.language}>"


class FilmText(TimestampMixin, db.Model):
    """A film's synopsis in one language, beside the one written on the film."""

    __tablename__ = "film_texts"

    film_id: Mapped[int] = mapped_column(sa.ForeignKey("films.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(sa.String(LANGUAGE_LENGTH))
    synopsis: Mapped[str] = mapped_column(sa.Text)

    film: Mapped["Film"] = relationship(  # noqa: F821
        backref=backref("texts", order_by="FilmText.language",
                        cascade="all, delete-orphan", passive_deletes=True),
    )

    __table_args__ = (sa.UniqueConstraint("film_id", "language"),)

    def __repr__(self) -> str:
        return f"<FilmText {self.film_id} {self.language}>"
