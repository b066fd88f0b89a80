"""Small helpers the test modules share: reading responses, serving a test catalogue."""

import html
import re

from babel.messages import Catalog
from babel.messages.mofile import write_mo


def page(response) -> str:
    """The response body with HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def visible_text(response) -> str:
    """The page as a reader sees it: scripts and tags dropped, whitespace collapsed."""
    shown = re.sub(r"<(script|style)\b.*?</\1>", " ", page(response), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", shown).split())


def serve_catalogue(app, folder, monkeypatch, language: str, messages: dict) -> None:
    """Serve `messages` (msgid -> msgstr, tuples for plurals) to readers of `language`, over
    whatever the real catalogue holds; `folder` is a scratch directory (tmp_path)."""
    catalog = Catalog(locale=language)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    target = folder / language / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as stream:
        write_mo(stream, catalog)
    config = app.extensions["babel"]
    # Later directories win when Flask-Babel merges them; translations are cached per locale.
    monkeypatch.setattr(config, "translation_directories",
                        [*config.translation_directories, str(folder)])
    monkeypatch.setattr(config.instance.domain_instance, "cache", {})
