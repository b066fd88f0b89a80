"""Films and beneficiaries: lists for pickers and lookups by slug."""

from sqlalchemy import select

from ..extensions import db
from ..models import Beneficiary, Film


def films() -> list[Film]:
    """Every film, by trilogy part then title."""
    query = select(Film).order_by(Film.part.is_(None), Film.part, Film.title)
    return list(db.session.scalars(query))


def beneficiaries() -> list[Beneficiary]:
    """Every beneficiary, by name."""
    return list(db.session.scalars(select(Beneficiary).order_by(Beneficiary.name)))
