"""Security headers on every response, session time-outs, proxy trust and rate limits."""

import re
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_loaded_from_cookie, user_logged_in
from werkzeug.middleware.proxy_fix import ProxyFix

from . import ratelimits

# No 'unsafe-inline' anywhere: templates carry no inline scripts, styles or on* handlers.
CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(**changes: str) -> str:
    """The policy, with directives changed by keyword (frame_ancestors="*")."""
    directives = {**CSP_DIRECTIVES, **{k.replace("_", "-"): v for k, v in changes.items()}}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CSP = content_security_policy()
CSP_FRAMEABLE = content_security_policy(frame_ancestors="*")
_TILE_HOST = re.compile(r"(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]+)?")


def tile_source(url: str) -> str:
    """The CSP source for the map's tile server ("https://*.tile.example.org" for a {s}
    subdomain); "" when there are no tiles or they come from this site."""
    parts = urlsplit(url)
    if not parts.netloc:
        return ""
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    # CSP allows a wildcard only as the leftmost label; nothing else may enter the header.
    if parts.scheme not in ("http", "https") or not _TILE_HOST.fullmatch(host):
        raise RuntimeError(f"TILE_URL {url!r}: use http(s) and at most a {{s}} leftmost label")
    return f"{parts.scheme}://{host}"


def _policies(app: Flask) -> tuple[str, str]:
    """This app's policy and its frameable variant, with the tile server in img-src."""
    tiles = tile_source(app.config.get("TILE_URL") or "")
    if not tiles:
        return CSP, CSP_FRAMEABLE
    img_src = f"{CSP_DIRECTIVES['img-src']} {tiles}"
    return (content_security_policy(img_src=img_src),
            content_security_policy(img_src=img_src, frame_ancestors="*"))


HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Geolocation stays possible for this site's own pages ("screenings near me").
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"
# Pages whose URL carries a secret token: no Referer may take it to another site.
TOKEN_PATH_PREFIXES = ("/password/reset/", "/invitations/")

# Session keys: when the login (or the restore from the remember cookie) happened, and the
# last request, as Unix seconds.
LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"
# The last-seen time is rewritten at most this often, so that the session cookie is not
# set again on every request.
SEEN_RESOLUTION_SECONDS = 60
# The English text (the tests look for it); people read it through _expired_message().
EXPIRED_MESSAGE = "Your session expired, please log in again."


def _expired_message() -> str:
    return _("Your session expired, please log in again.")


def allow_framing(view: Callable) -> Callable:
    """Let any site show this view's pages in a frame (the embeddable widget)."""
    view.allow_framing = True
    return view


def _frameable() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, "allow_framing", False))


def _carries_secrets() -> bool:
    """Whether the page is personal or holds a token, so no cache may keep a copy."""
    if request.endpoint in ("static", "public.vendor"):  # the same files for everyone
        return False
    csrf_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return (
        "_user_id" in session  # logged in (Flask-Login's key, set for remembered logins too)
        or csrf_field in g  # a CSRF token was rendered into this page
        or request.path.startswith(TOKEN_PATH_PREFIXES)
    )


def set_security_headers(response: Response) -> Response:
    """Add the security headers; runs for every response, error pages included."""
    headers = response.headers
    policy, frameable_policy = current_app.extensions.get("csp", (CSP, CSP_FRAMEABLE))
    if _frameable():
        headers["Content-Security-Policy"] = frameable_policy
        headers.pop("X-Frame-Options", None)
    else:
        headers["Content-Security-Policy"] = policy
        headers["X-Frame-Options"] = "DENY"
    headers.update(HEADERS)
    if request.path.startswith(TOKEN_PATH_PREFIXES):
        headers["Referrer-Policy"] = "no-referrer"
    else:
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    app = current_app
    if app.config.get("HSTS_ENABLED") and not (app.debug or app.testing):
        headers["Strict-Transport-Security"] = HSTS
    if _carries_secrets():
        headers["Cache-Control"] = "no-store"
    return response


def _start_window(_sender=None, **_extra) -> None:
    """A login, or a login restored from the remember cookie, starts a new session window."""
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


# Module-level receivers: blinker keeps only weak references to them.
user_logged_in.connect(_start_window)
user_loaded_from_cookie.connect(_start_window)


def _expired(now: int) -> bool:
    config = current_app.config
    idle = now - session[SEEN_AT] > config["SESSION_IDLE_MINUTES"] * 60
    too_old = now - session[LOGIN_AT] > config["SESSION_ABSOLUTE_HOURS"] * 3600
    return idle or too_old


def enforce_session_time_outs():
    """End a logged-in session that was idle too long or began too long ago."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    if not isinstance(session.get(LOGIN_AT), int) or not isinstance(session.get(SEEN_AT), int):
        # Only a session signed before time-outs existed lacks the stamps: count from now.
        _start_window()
        return None
    if _expired(now):
        return _end_expired_session()
    if now - session[SEEN_AT] >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
    return None


def _end_expired_session():
    # Clear first: logout_user() then marks the remember cookie for deletion, so it cannot
    # log the browser straight back in. (A remember cookie still restores a login when the
    # browser was closed: that starts a new window, see _start_window.)
    session.clear()
    logout_user()
    if request.path.startswith("/api/"):
        return None  # the API goes on anonymously: 401 JSON, or a Bearer token's user
    flash(_expired_message(), "info")
    login_view = current_app.login_manager.login_view
    if request.endpoint == login_view:
        return None  # the login page itself: show it, with the message
    if request.method in ("GET", "HEAD"):
        target = request.full_path if request.query_string else request.path
        return redirect(url_for(login_view, next=target))
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    ) or request.is_json:
        return jsonify(error="session_expired", message=_expired_message()), 401
    # A form sent after the session ended is not replayed after login: nothing was saved.
    return redirect(url_for(login_view), 303)


def install(app: Flask) -> None:
    """Register the security hooks; called after the blueprints and error handlers."""
    # Derived here, so that REMEMBER_COOKIE_DAYS set by any means (environment, FLASK_*,
    # create_app overrides) is the one that counts.
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["REMEMBER_COOKIE_DAYS"])
    app.extensions["csp"] = _policies(app)
    if app.config.get("PROXY_COUNT", 0) > 0:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    # First of the app-wide hooks: an expired login must end before any other hook (such as
    # the two-factor enrolment redirect) acts on it.
    app.before_request_funcs.setdefault(None, []).insert(0, enforce_session_time_outs)
    app.after_request(set_security_headers)
    ratelimits.install(app)
