"""Small helpers the test modules share for reading responses."""

import html
import re


def page(response) -> str:
    """The response body with HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def visible_text(response) -> str:
    """The page as a reader sees it: scripts and tags dropped, whitespace collapsed."""
    shown = re.sub(r"<(script|style)\b.*?</\1>", " ", page(response), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", shown).split())
