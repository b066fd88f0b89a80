"""Loading the logged-in user from the session, and the pending state between password and 2FA."""

import time
from dataclasses import dataclass

from flask import session
from flask_login import login_user

from ..extensions import db
from ..models import User

PENDING_KEY = "two_factor_pending"
# The second step must follow the password within this many seconds.
PENDING_SECONDS = 5 * 60


def load_user(identity: str) -> User | None:
    """The user for a session identity "id:version"; None once the version was raised."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def start(user: User, remember: bool = False) -> None:
    """Log the user in with a fresh session: nothing from before login carries over."""
    session.clear()
    login_user(user, remember=remember)


@dataclass(frozen=True)
class Pending:
    """A user who gave the right password and still owes the second factor."""

    user: User
    remember: bool
    next: str | None


def begin_second_factor(user: User, remember: bool, next_path: str | None) -> None:
    """Remember, in a fresh session, that this user passed the password step just now."""
    session.clear()
    session[PENDING_KEY] = {
        "user": user.id, "version": user.session_version, "at": int(time.time()),
        # The marker travels in the session cookie, which has to stay under 4 kB.
        "remember": bool(remember), "next": next_path if len(next_path or "") <= 500 else None,
    }


def pending_second_factor(now: float | None = None) -> Pending | None:
    """The user half-way through logging in, or None (none, expired, or since changed)."""
    marker = session.get(PENDING_KEY)
    if not isinstance(marker, dict):
        return None
    now = time.time() if now is None else now
    at = marker.get("at")
    if not isinstance(at, int) or not 0 <= now - at <= PENDING_SECONDS:
        return None
    user = db.session.get(User, marker.get("user")) if isinstance(marker.get("user"), int) \
        else None
    # A password change or reset since then raised the version: the password step no longer
    # counts.
    if (user is None or not user.is_active or not user.has_two_factor
            or user.session_version != marker.get("version")):
        return None
    return Pending(user=user, remember=bool(marker.get("remember")), next=marker.get("next"))


def drop_pending() -> None:
    """Forget a half-finished login."""
    session.pop(PENDING_KEY, None)

