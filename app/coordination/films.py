"""Films in the coordination area: the list, and each film's synopsis in several languages."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..form_errors import show_field_errors
from ..organiser.text_forms import fill_texts
from ..services import content_languages
from ..services import film_texts as synopses
from ..services.errors import ValidationFailed
from .blueprint import bp
from .film_forms import FilmTextsForm


@bp.get("/films")
def films():
    """Every film, with the languages its synopsis is written in."""
    found = synopses.films_with_texts()
    names = {film.id: [content_languages.language_name(row.language) for row in film.texts]
             for film in found}
    return render_template("coordination/films.html", films=found, synopsis_languages=names)


@bp.route("/films/<slug>/texts", methods=["GET", "POST"])
def film_texts(slug: str):
    """Edit a film's synopsis and its synopses in other languages."""
    film = synopses.get_film(slug)
    if request.method == "GET":
        form = FilmTextsForm(synopsis=film.synopsis)
        fill_texts(form, film.texts)
    else:
        form = FilmTextsForm()
    if form.validate_on_submit():
        try:
            changed = synopses.update_texts(film, form.synopsis.data or "", form.texts.rows(),
                                            current_user, str(get_locale() or "en"))
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_errors(form, ValidationFailed(form.texts.place(exc.fields)))
        else:
            db.session.commit()
            if changed:
                flash(_("Synopses of %(title)s saved.", title=film.title), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("coordination.films"))
    status = 422 if form.errors else 200
    return render_template("coordination/film_texts.html", film=film, form=form), status
