"""Texts in several languages: language codes and names, picking the text for a reader, and
replacing a screening's descriptions or a film's synopses in other languages.

The description (synopsis) column is the text the hosts wrote, in a language not recorded;
the rows of ScreeningText (FilmText) add texts in named languages. Functions flush; the
caller commits.
"""

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from babel import Locale, UnknownLocaleError
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Film, Screening, utcnow
from ..models.content import LANGUAGE_LENGTH, FilmText, ScreeningText
from .errors import ValidationFailed

# Offered first in the organisers' selects: the tour's languages and the ones audiences ask
# for. Any other language CLDR knows is accepted too (typed through the API, or kept from
# before).
COMMON_LANGUAGES = (
    "en", "uk", "it", "fr", "de", "pl", "es", "fi", "nl", "da", "pt", "sv", "ru", "ar",
    "be", "bg", "ca", "cs", "el", "et", "he", "hr", "hu", "ja", "ka", "ko", "lt", "lv",
    "nb", "ro", "sk", "sl", "sr", "tr", "zh",
)
MAX_TEXTS = 10  # languages per screening or film, beside the hosts' own text
MAX_TEXT_LENGTH = 5000  # as the description column's limit (screenings.MAX_LENGTHS)
# Codes CLDR has data for that name no language a screening is shown in.
_NOT_LANGUAGES = {"root", "und", "mul", "zxx"}


class Text(NamedTuple):
    """One text and its language; language None for the hosts' own text (not recorded).
    name and direction ("ltr", "rtl") are for showing it: the language's name for the reader."""

    language: str | None
    text: str
    name: str = ""
    direction: str | None = None


class Choice(NamedTuple):
    """The text to show a reader (None if there is none) and the others, for "other languages"."""

    chosen: Text | None
    others: list[Text]


# --- codes and names ------------------------------------------------------------------------


def _locale(code: str) -> Locale | None:
    tag = (code or "").strip().replace("_", "-")
    if not tag or len(tag) > LANGUAGE_LENGTH or tag.split("-")[0].lower() in _NOT_LANGUAGES:
        return None
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    # Babel fills gaps with likely subtags and aliases ("und" -> en_US): only an exact match.
    return locale if locale.language == tag.split("-")[0].lower() else None


def language_code(value: str | None) -> str | None:
    """The canonical BCP 47 tag of a language code CLDR knows ("UK" -> "uk", "pt_br" ->
    "pt-BR"), else None."""
    locale = _locale(value or "")
    if locale is None:
        return None
    parts = [locale.language, locale.script, locale.territory,
             locale.variant.lower() if locale.variant else None]
    return "-".join(p for p in parts if p)


def language_name(code: str | None, reader: str | None = None) -> str:
    """A language's name in the reader's language ("uk" -> "Ukrainian", "українська"); text
    that is no known code comes back as it is (values typed before codes were required)."""
    if not code:
        return ""
    locale = _locale(code)
    if locale is None:
        return code
    return locale.get_display_name(_locale(_reader(reader)) or "en") or code


def code_for(value: str | None, reader: str | None = None) -> str | None:
    """The code for a code or a language's name in English, the reader's language or its own
    ("Ukrainian", "ucraino", "українська" -> "uk"); None if none matches."""
    code = language_code(value)
    if code or not value:
        return code
    wanted = value.strip().casefold()
    for locale in dict.fromkeys((Locale("en"), _locale(_reader(reader)) or Locale("en"))):
        for known, name in locale.languages.items():
            if name.casefold() == wanted and language_code(known) == known:
                return known
    for known in COMMON_LANGUAGES:
        if (Locale.parse(known).get_display_name(known) or "").casefold() == wanted:
            return known
    return None


def language_choices(reader: str | None = None, keep: Iterable[str | None] = ()) -> list:
    """(code, name) pairs for a select: the common languages by name in the reader's language,
    plus any of `keep` (values already stored) that are not among them."""
    extra = [code for code in keep if code and code not in COMMON_LANGUAGES]
    pairs = [(code, language_name(code, reader)) for code in (*COMMON_LANGUAGES, *extra)]
    return sorted(dict(pairs).items(), key=lambda pair: pair[1].casefold())


def _reader(reader: str | None) -> str:
    if reader:
        return reader
    locale = get_locale()
    return str(locale) if locale is not None else "en"


# --- choosing -------------------------------------------------------------------------------


def choose(own: str, texts: dict[str, str], reader: str | None = None,
           spoken: Sequence[str | None] = ()) -> Choice:
    """The text for the reader: one in the reader's language (the exact tag, else the same
    language in another variant), else the hosts' own text, else one in a `spoken` language,
    else English, else the first by language."""
    reader_tag = language_code(_reader(reader)) or "en"
    by_language = {language: text for language, text in sorted(texts.items()) if text}

    def same_language(tag: str | None) -> list[str]:
        if not tag:
            return []
        base = tag.split("-")[0]
        exact = [tag] if tag in by_language else []
        return exact + [code for code in by_language if code.split("-")[0] == base
                        and code != tag]

    def text(code: str) -> Text:
        locale = _locale(code)
        return Text(code, by_language[code], language_name(code, reader_tag),
                    locale.text_direction if locale else None)

    chosen: Text | None = None
    candidates = same_language(reader_tag)
    if candidates:
        chosen = text(candidates[0])
    elif own:
        chosen = Text(None, own)
    else:
        for tag in (*[language_code(code) for code in spoken], "en"):
            found = same_language(tag)
            if found:
                chosen = text(found[0])
                break
        else:
            if by_language:
                chosen = text(next(iter(by_language)))
    others = [Text(None, own)] if own else []
    others += [text(code) for code in by_language]
    return Choice(chosen, [other for other in others if other != chosen])


def screening_description(screening: Screening, reader: str | None = None) -> Choice:
    """The description to show this reader, and the screening's others."""
    texts = {row.language: row.description for row in screening.texts}
    return choose(screening.description or "", texts, reader, (screening.language,))


def film_synopsis(film: Film, reader: str | None = None) -> Choice:
    """The synopsis to show this reader, and the film's others."""
    texts = {row.language: row.synopsis for row in film.texts}
    return choose(film.synopsis or "", texts, reader, film.languages or ())


def content_text(subject: Screening | Film, reader: str | None = None) -> Choice:
    """A film's synopsis or a screening's description for this reader (for templates)."""
    if isinstance(subject, Film):
        return film_synopsis(subject, reader)
    return screening_description(subject, reader)


def showing_line(screening: Screening, reader: str | None = None) -> str:
    """ "Shown in Ukrainian with English subtitles", in the reader's language; "" if neither
    language is known."""
    if reader is None:
        return _showing_line(screening, None)
    # A reader named explicitly gets the sentence in their language too, not only the names.
    with force_locale(_locale(reader) or Locale("en")):
        return _showing_line(screening, reader)


def _showing_line(screening: Screening, reader: str | None) -> str:
    language = language_name(screening.language, reader)
    subtitles = language_name(screening.subtitles, reader)
    # Names are in the nominative ("українська"): translators may reword around them
    # ("Мова: %(language)s, субтитри: %(subtitles)s").
    if language and subtitles:
        return _("Shown in %(language)s with %(subtitles)s subtitles", language=language,
                 subtitles=subtitles)
    if language:
        return _("Shown in %(language)s", language=language)
    if subtitles:
        return _("With %(subtitles)s subtitles", subtitles=subtitles)
    return ""


def descriptions_by_screening(screening_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """{screening id: {language: description}} for many screenings in one query (API pages)."""
    ids = list(screening_ids)
    found: dict[int, dict[str, str]] = {screening_id: {} for screening_id in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(ScreeningText.screening_id, ScreeningText.language, ScreeningText.description)
        .where(ScreeningText.screening_id.in_(ids)).order_by(ScreeningText.language)
    )
    for screening_id, language, description in rows:
        found[screening_id][language] = description
    return found


# --- replacing ------------------------------------------------------------------------------


def check_texts(rows: Sequence[tuple[str | None, str | None]], field: str = "texts",
                reader: str | None = None) -> dict[str, str]:
    """The (language, text) rows as {code: text}, empty rows left out; ValidationFailed with
    an error per row field ("texts-0-language", "texts-1-text") or for the whole list."""
    errors: dict[str, str] = {}
    texts: dict[str, str] = {}
    for index, (language, text) in enumerate(rows):
        language, text = (language or "").strip(), (text or "").strip()
        if not text:
            continue  # an empty row, or a language whose text was emptied: no text
        code = language_code(language)
        if not language:
            errors[f"{field}-{index}-language"] = _("Choose the language of this text.")
        elif code is None:
            errors[f"{field}-{index}-language"] = _(
                "Unknown language: use a code such as uk, it or pt-BR.")
        elif code in texts:
            errors[f"{field}-{index}-language"] = _(
                "There is already a text in %(language)s.",
                language=language_name(code, reader))
        if len(text) > MAX_TEXT_LENGTH:
            errors[f"{field}-{index}-text"] = _("Use at most %(limit)s characters.",
                                                limit=MAX_TEXT_LENGTH)
        if code is not None:
            texts.setdefault(code, text)
    if len(texts) > MAX_TEXTS:
        errors[field] = _("Give texts in at most %(limit)s languages.", limit=MAX_TEXTS)
    if errors:
        raise ValidationFailed(errors)
    return texts


def _replace(stored: list, wanted: dict[str, str], attribute: str, make) -> bool:
    """Make the rows match `wanted`; same language, same row (the unique key stays put)."""
    current = {row.language: row for row in stored}
    changed = False
    for language, row in current.items():
        if language not in wanted:
            stored.remove(row)
            changed = True
        elif getattr(row, attribute) != wanted[language]:
            setattr(row, attribute, wanted[language])
            changed = True
    for language, text in wanted.items():
        if language not in current:
            stored.append(make(language, text))
            changed = True
    return changed


def set_screening_texts(screening: Screening, rows: Sequence[tuple[str | None, str | None]],
                        field: str = "texts", reader: str | None = None) -> bool:
    """Replace the screening's descriptions in other languages with these (language, text)
    rows; refuses bad rows with field errors and writes nothing. True if anything changed."""
    wanted = check_texts(rows, field, reader)
    changed = _replace(screening.texts, wanted, "description",
                       lambda language, text: ScreeningText(language=language, description=text))
    if changed:
        # The texts have no version of their own: touching the screening raises its version
        # (a stale edit form is refused) and the public pages' revision.
        screening.updated_at = utcnow()
        db.session.flush()
    return changed


def set_film_texts(film: Film, rows: Sequence[tuple[str | None, str | None]],
                   field: str = "texts", reader: str | None = None) -> bool:
    """Replace the film's synopses in other languages with these (language, text) rows;
    refuses bad rows with field errors and writes nothing. True if anything changed."""
    wanted = check_texts(rows, field, reader)
    changed = _replace(film.texts, wanted, "synopsis",
                       lambda language, text: FilmText(language=language, synopsis=text))
    if changed:
        film.updated_at = utcnow()  # raises the public pages' revision
        db.session.flush()
    return changed
