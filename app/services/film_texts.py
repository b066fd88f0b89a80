"""A film's synopsis and its synopses in other languages, as coordinators edit them.

Functions flush; the caller commits.
"""

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Film, User
from . import audit, content_languages
from .content_languages import MAX_TEXT_LENGTH
from .errors import NotFound, ValidationFailed


def films_with_texts() -> list[Film]:
    """Every film, by trilogy part then title, with its synopses in other languages loaded."""
    query = (select(Film).options(selectinload(Film.texts))
             .order_by(Film.part.is_(None), Film.part, Film.title))
    return list(db.session.scalars(query))


def get_film(slug: str) -> Film:
    """The film with this slug and its synopses in other languages; NotFound otherwise."""
    film = db.session.scalar(select(Film).options(selectinload(Film.texts))
                             .where(Film.slug == (slug or "")[:100]))
    if film is None:
        raise NotFound(_("No such film."))
    return film


def _snapshot(film: Film) -> dict[str, str]:
    """The audited texts: the film's own synopsis and one entry per other language."""
    return {"synopsis": film.synopsis or "",
            **{f"texts.{row.language}": row.synopsis for row in film.texts}}


def update_texts(film: Film, synopsis: str, rows: Sequence[tuple[str | None, str | None]],
                 actor: User, reader: str | None = None) -> bool:
    """Set the film's synopsis and replace its synopses in other languages; refuses bad input
    with field errors ("synopsis", "texts-0-language") and writes nothing. True if anything
    changed (then audited as "film.texts")."""
    synopsis = (synopsis or "").strip()
    errors: dict[str, str] = {}
    if len(synopsis) > MAX_TEXT_LENGTH:
        errors["synopsis"] = _("Use at most %(limit)s characters.", limit=MAX_TEXT_LENGTH)
    try:
        content_languages.check_texts(rows, "texts", reader)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    before = _snapshot(film)
    changed = content_languages.set_film_texts(film, rows, "texts", reader)
    if synopsis != (film.synopsis or ""):
        film.synopsis = synopsis
        changed = True
    if changed:
        db.session.flush()
        audit.record(actor, "film.texts", film, before=before, after=_snapshot(film))
    return changed
