"""Form parts for content in several languages: language selects, and descriptions in other
languages as rows of (language, text) that work without JavaScript."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Optional, ValidationError

from ..models import Screening
from ..services import content_languages
from ..services.content_languages import MAX_TEXT_LENGTH, MAX_TEXTS
from ..services.errors import ValidationFailed

EMPTY_ROWS = 2  # blank rows offered for new languages (more after saving)
NOT_STATED = _l("Not stated")


def _reader() -> str:
    locale = get_locale()
    return str(locale) if locale is not None else "en"


class LanguageField(SelectField):
    """A select of languages by name in the reader's language, stored as a code ("uk").

    Accepts any code CLDR knows, or a language's name ("Ukrainian"), not only the options
    shown; a value that is neither is refused. A stored value outside the common languages is
    offered too, so that editing keeps it.
    """

    def __init__(self, label=None, validators=None, blank=NOT_STATED, **kwargs):
        super().__init__(label, validators, choices=[], validate_choice=False, **kwargs)
        self.blank = blank
        self.typed: str | None = None  # what was sent, when it names no language

    def process_data(self, value):
        # Values stored before codes were required ("English") become codes when recognised.
        self.data = content_languages.code_for(value, _reader()) or (value or "")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        code = content_languages.code_for(raw, _reader()) if raw else ""
        self.typed = raw if code is None else None
        self.data = raw if code is None else code

    def pre_validate(self, form):
        if self.typed is not None:
            raise ValidationError(_l("Choose a language from the list."))

    def iter_choices(self):
        pairs = content_languages.language_choices(_reader(), keep=[self.data])
        self.choices = [SelectChoice("", str(self.blank))] + [
            SelectChoice(code, name) for code, name in pairs
        ]
        return super().iter_choices()

    def has_groups(self):
        return False


class TextRowForm(Form):
    """One description in another language (no CSRF token of its own: the parent has one)."""

    language = LanguageField(_l("Language"), validators=[Optional()], blank="—")
    # Its length is checked with the other rules in TextRows.validate, as the service does.
    text = TextAreaField(_l("Description"), render_kw={"rows": 4, "maxlength": MAX_TEXT_LENGTH})


class TextRows(FieldList):
    """Rows of (language, text). Each row's fields carry their own errors; the list's errors
    are those messages as plain strings, so that the form's error summary reads well."""

    def rows(self) -> list[tuple[str, str]]:
        """(language, text) of every row, as sent."""
        return [(entry.form.language.data or "", entry.form.text.data or "")
                for entry in self.entries]

    def place(self, fields: dict[str, str]) -> dict[str, str]:
        """Put errors named "texts-0-language" on that row's field; the others come back."""
        rest = {}
        for name, message in fields.items():
            index, _, part = name.removeprefix(f"{self.name}-").partition("-")
            row = (self.entries[int(index)].form if index.isdigit()
                   and int(index) < len(self.entries) else None)
            if row is not None and part in row._fields:
                if not row[part].errors:  # one message per field: the select's comes first
                    row[part].errors = [message]
            else:
                rest[name] = message
        self.errors = self._messages()
        return rest

    def _messages(self) -> list[str]:
        messages = [error for error in self.errors if isinstance(error, str)]
        for entry in self.entries:
            for errors in entry.form.errors.values():
                messages += [str(e) for e in errors if str(e) not in messages]
        return messages

    def validate(self, form, extra_validators=()):
        super().validate(form, extra_validators)
        # The service's rules (length, a language named twice, a text without a language),
        # so that the form refuses what saving would.
        try:
            content_languages.check_texts(self.rows(), self.name, _reader())
        except ValidationFailed as exc:
            self.errors.extend(self.place(exc.fields).values())
        self.errors = self._messages()
        return not self.errors


def text_rows(label) -> TextRows:
    """The rows field for a form: EMPTY_ROWS blank rows to start, at most MAX_TEXTS."""
    return TextRows(FormField(TextRowForm), label=label, min_entries=EMPTY_ROWS,
                    max_entries=MAX_TEXTS)


class ScreeningLanguagesMixin:
    """Mixed into the screening form: the spoken and subtitle languages, and descriptions in
    other languages (the form's own description is the hosts' text)."""

    language = LanguageField(_l("Spoken language"))
    subtitles = LanguageField(_l("Subtitles"), blank=_l("None"))
    texts = text_rows(_l("Descriptions in other languages"))


def fill_texts(form, texts: list) -> None:
    """Show stored texts (ScreeningText or FilmText rows), then blank rows for new ones."""
    form.texts.entries = []
    form.texts.last_index = -1
    for row in texts:
        text = getattr(row, "description", None) or getattr(row, "synopsis", "")
        form.texts.append_entry({"language": row.language, "text": text})
    while (len(form.texts.entries) < MAX_TEXTS
           and len(form.texts.entries) < len(texts) + EMPTY_ROWS):
        form.texts.append_entry()


def save_texts(form, screening: Screening) -> None:
    """Store the form's descriptions in other languages; on refusal, the errors go on the rows
    and ValidationFailed carries any others (flush; the caller commits or rolls back)."""
    try:
        content_languages.set_screening_texts(screening, form.texts.rows(), form.texts.name,
                                              _reader())
    except ValidationFailed as exc:
        raise ValidationFailed(form.texts.place(exc.fields)) from exc


__all__ = ["EMPTY_ROWS", "LanguageField", "ScreeningLanguagesMixin", "TextRowForm", "TextRows",
           "fill_texts", "save_texts", "text_rows"]
