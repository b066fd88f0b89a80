"""The form of a film's texts: its synopsis, and its synopses in other languages as rows."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FormField, TextAreaField
from wtforms.validators import Length, Optional

from ..organiser.text_forms import EMPTY_ROWS, TextRowForm, TextRows
from ..services.content_languages import MAX_TEXT_LENGTH, MAX_TEXTS


class SynopsisRowForm(TextRowForm):
    """One synopsis in another language (a row's text is a synopsis, not a description)."""

    text = TextAreaField(_l("Synopsis"), render_kw={"rows": 4, "maxlength": MAX_TEXT_LENGTH})


class FilmTextsForm(FlaskForm):
    """Edit a film's synopsis and its synopses in other languages."""

    synopsis = TextAreaField(
        _l("Synopsis"), validators=[Optional(), Length(max=MAX_TEXT_LENGTH)],
        description=_l("Shown when there is no synopsis in the reader's language."),
        render_kw={"rows": 6, "maxlength": MAX_TEXT_LENGTH})
    texts = TextRows(FormField(SynopsisRowForm), label=_l("Synopses in other languages"),
                     min_entries=EMPTY_ROWS, max_entries=MAX_TEXTS)
