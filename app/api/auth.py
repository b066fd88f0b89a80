"""Who is calling the API: a Bearer token (API requests only) or the session cookie, with CSRF
for cookie writes and the two-factor rule for coordinators."""

from flask import current_app, g, request
from flask_login import current_user

from ..extensions import csrf, db
from ..models import User
from ..services import api_tokens
from .errors import ApiError

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# How the caller was authenticated: "token", "session", or None (anonymous).
VIA = "api_auth_via"


def _bearer_token() -> str | None:
    """The token of an Authorization header; ApiError for any other kind of credentials."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "invalid_token", "Use the header Authorization: Bearer TOKEN.")
    return token.strip()


def _use(user: User | None) -> None:
    """Make `user` the current user of this request only (the session is not touched)."""
    # Flask-Login caches the request's user on flask.g; this is what login_user() does,
    # minus writing the session, so a token never turns into a cookie login.
    current_app.login_manager._update_request_context_with_user(user)


def authenticate_request() -> None:
    """Before every API view: settle the caller, refuse bad tokens, check CSRF and 2FA."""
    token = _bearer_token()
    if token is not None:
        user = api_tokens.authenticate(token)
        if user is None:
            db.session.rollback()
            _use(None)
            raise ApiError(401, "invalid_token", "The token is unknown, revoked, or its "
                                                 "account is deactivated.")
        # The use is stamped at most once a minute; keep it even if the request then fails.
        db.session.commit()
        _use(user)
        setattr(g, VIA, "token")
    elif current_user.is_authenticated:
        setattr(g, VIA, "session")
        # A browser sends the cookie along with any site's request: writes need the token
        # that only this site's pages can read. Bearer clients need none (no ambient cookie).
        if request.method in WRITE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
    else:
        setattr(g, VIA, None)
    if current_user.is_authenticated and current_user.must_enrol_two_factor:
        raise ApiError(403, "two_factor_required",
                       "Coordinators and admins must set up two-factor authentication "
                       "(on the account page) before using the API.")


def caller() -> User | None:
    """The authenticated user, or None."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def require_user() -> User:
    """The authenticated user; 401 for anonymous callers."""
    user = caller()
    if user is None:
        raise ApiError(401)
    return user


def require_coordinator() -> User:
    """A coordinator or admin; 401 for anonymous callers, 403 for everyone else."""
    user = require_user()
    if not user.is_coordinator:
        raise ApiError(403, message="Only coordinators can do this.")
    return user
