"""The language chooser's target: GET /language?lang=uk&next=/past keeps the choice in a cookie
and goes back to the page (a GET form, so that it works without JavaScript or a session)."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request

from .locales import COOKIE, COOKIE_MAX_AGE
from .security import TOKEN_PATH_PREFIXES

bp = Blueprint("language", __name__)


def local_path(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": never a redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    # Browsers read a backslash as a slash, and drop tabs and newlines from URLs.
    if parts.scheme or parts.netloc or any(c in target for c in "\\\t\r\n"):
        return "/"
    return target


@bp.app_template_global()
def language_return_path() -> str:
    """Where the chooser comes back to: this page, unless its address holds a secret (a reset
    or invitation link), which must not travel on into another URL, logs and history."""
    if request.path.startswith(TOKEN_PATH_PREFIXES):
        return "/"
    return request.full_path.rstrip("?")


@bp.get("/language")
def choose():
    """Remember the chosen language for a year and return to `next` (a local path)."""
    lang = request.args.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    response = redirect(local_path(request.args.get("next")), 303)
    response.set_cookie(COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response
