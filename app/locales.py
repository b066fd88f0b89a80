"""Which locale a request is served in: the visitor's explicit choice (the `lang` cookie), else
the browser's preferred one among LANGUAGES, else the default; and what templates need of it."""

import dataclasses
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from babel import Locale
from babel.messages import mofile, pofile
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from werkzeug.http import parse_cookie

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600  # a year: a language is chosen once, not per visit


def from_cookie(header: str, languages) -> str | None:
    """The language the `lang` cookie names, if it is one of `languages` (raw Cookie header;
    the public cache reads it before Flask does)."""
    if f"{COOKIE}=" not in header:
        return None
    value = parse_cookie(header).get(COOKIE)
    return value if value in languages else None


def select_locale() -> str:
    """The `lang` cookie when it names a configured language, else the best match for
    Accept-Language among LANGUAGES, else the default."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    languages = current_app.config["LANGUAGES"]
    chosen = from_cookie(request.headers.get("Cookie", ""), languages)
    return chosen or request.accept_languages.best_match(languages) or default


def current_language() -> str:
    """The request's language code ("uk"), for <html lang> and the chooser."""
    locale = get_locale()
    return str(locale) if locale is not None else current_app.config["BABEL_DEFAULT_LOCALE"]


def country_name(code: str | None, fallback: str | None = None) -> str:
    """A country's name in the reader's language from CLDR ("UA" -> "Ucraina", "Україна");
    `fallback` (the stored English name), else the code, where CLDR has no name for it."""
    code = (code or "").upper()
    locale = get_locale() or Locale("en")
    return locale.territories.get(code) or fallback or code


def name_order(name: str) -> str:
    """A sort key for names in any language: case and accents ignored ("Österreich" beside
    "Oman"). Without a collation library this is code-point order within a script."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def countries_by_name(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(code, stored name) pairs as (code, name in the reader's language), sorted by that."""
    named = [(code, country_name(code, name)) for code, name in pairs]
    return sorted(named, key=lambda pair: name_order(pair[1]))


def with_country_names(groups: Iterable) -> list:
    """Breakdown rows by country (dataclasses keyed by code, labelled with the stored name)
    relabelled in the reader's language; the figures are cached for every language alike."""
    return [dataclasses.replace(group, label=country_name(group.key, group.label))
            for group in groups]


def install(app: Flask) -> None:
    """The chooser's data for every template, and Vary on what the language comes from."""

    @app.context_processor
    def language_helpers():
        code = current_language()
        return {"current_language": code,
                "text_direction": Locale.parse(code).text_direction,
                "language_names": current_app.config["LANGUAGE_NAMES"]}

    @app.after_request
    def vary_on_language(response):
        # A page's language follows the cookie and Accept-Language: shared caches must keep
        # one copy per combination (JSON carries no translated text).
        if not (response.mimetype or "").endswith("json"):
            response.vary.add("Cookie")
            response.vary.add("Accept-Language")
        return response


class LazyLabels(Mapping):
    """Labels by key, each looked up in the request's language when read: plain strings out
    (`label in html` works), lazy msgids in (`_l`, found by extraction)."""

    def __init__(self, labels: dict):
        self._labels = labels

    def __getitem__(self, key) -> str:
        return str(self._labels[key])

    def __iter__(self) -> Iterator:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Write each catalogue's .mo when missing or older than its .po (make does the same with
    pybabel; the test session calls this so that a bare pytest has them too); fuzzy entries
    are left out, as pybabel leaves them. The .mo files written."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalog = pofile.read_po(source, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as target:
            mofile.write_mo(target, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written
