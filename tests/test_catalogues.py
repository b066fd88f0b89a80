"""The translation catalogues (app/translations): each holds a translation of every message the
code and templates use, each compiles, and each translation keeps its message's placeholders."""

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages import mofile, pofile

from config import Config

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
# Every language the site offers but its source language, English.
LANGUAGES = [code for code in Config.LANGUAGES if code != Config.BABEL_DEFAULT_LOCALE]
# As the Makefile's `messages` target extracts.
KEYWORDS = ["_", "_l", "gettext", "lazy_gettext", "ngettext:1,2", "lazy_ngettext:1,2",
            "pgettext:1c,2", "npgettext:1c,2,3"]
# pybabel's default ignore list also skips folders starting with "_", such as templates/_macros.
IGNORE_DIRS = ".* node_modules"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def used(tmp_path_factory) -> dict:
    """Every message the code and templates use now, by (msgid, context), from pybabel."""
    target = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "-q", "extract", "-F", "babel.cfg",  # noqa: S603 (ours)
                    *(f"-k{k}" for k in KEYWORDS), f"--ignore-dirs={IGNORE_DIRS}",
                    "-o", str(target), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with target.open("rb") as source:
        template = pofile.read_po(source)
    return {(m.id, m.context): m for m in template if m.id}


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return pofile.read_po(source, locale=language)


def filled(string: str | tuple) -> bool:
    """Whether a msgstr is there: every plural form when there are several."""
    return all(string) if isinstance(string, tuple) else bool(string)


def untranslated(language: str, used: dict) -> list[str]:
    """The msgids used but missing from the catalogue, empty or fuzzy there."""
    found = catalogue(language)
    missing = []
    for (msgid, context), _message in used.items():
        entry = found.get(msgid, context)
        if entry is None or entry.fuzzy or not filled(entry.string):
            missing.append(msgid if isinstance(msgid, str) else msgid[0])
    return missing


def test_extraction_finds_the_sites_messages(used):
    ids = {msgid if isinstance(msgid, str) else msgid[0] for msgid, _context in used}
    # One from a template, one lazy from Python, one plural, one from templates/_partials.
    assert {"Skip to content", "Not found", "%(num)s upcoming screening",
            "hosted by %(hosts)s"} <= ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language, used):
    missing = untranslated(language, used)
    assert not missing, (f"{language}: {len(missing)} messages without a translation "
                         f"(run `make messages`, then translate):\n" + "\n".join(missing))


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_compiles(language):
    found = catalogue(language)
    problems = [f"{message.id!r}: {error}" for message, errors in found.check()
                for error in errors]
    assert not problems, "\n".join(problems)
    buffer = io.BytesIO()
    mofile.write_mo(buffer, found)
    buffer.seek(0)
    compiled = mofile.read_mo(buffer)
    for message in found:
        if message.id and filled(message.string) and not message.fuzzy:
            string = compiled.get(message.id, message.context).string
            # read_mo gives a plural's forms as a list where the catalogue holds a tuple.
            assert (tuple(string) if isinstance(string, list) else string) == message.string


def names(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    wrong = []
    for message in catalogue(language):
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple):
            # A plural form may leave the count out ("a minute"), never any other value.
            wanted = names(message.id[1]) - {"num"}
            for form in message.string:
                if form and names(form) - {"num"} != wanted:
                    wrong.append(f"{message.id[1]!r} -> {form!r}")
        elif names(message.string) != names(message.id):
            wrong.append(f"{message.id!r} -> {message.string!r}")
    assert not wrong, f"{language}: placeholders differ:\n" + "\n".join(wrong)


def test_the_placeholder_check_sees_a_wrong_name():
    assert names("%(name)s a %(count)d") == {"name", "count"}
    assert names("Ciao %(nome)s") != names("Hello %(name)s")


def test_the_makefile_builds_every_language():
    """`make messages` and `make translations` cover the same languages as the site offers."""
    line = next(row for row in (ROOT / "Makefile").read_text().splitlines()
                if row.startswith("LOCALES :="))
    assert line.split(":=")[1].split() == LANGUAGES
