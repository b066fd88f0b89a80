"""Passwords: the policy for new ones, argon2id hashing (upgraded on login), and changing them."""

import re
from collections.abc import Iterable
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import update

from ..extensions import db
from ..models import PasswordReset, User, utcnow
from . import audit, mail
from .errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn's score runs 0..4; 3 means about 10^8 guesses or more, "safely unguessable" for an
# online attack and a fair margin offline against argon2id. Every entry of zxcvbn's
# common-password list (and simple variations of it) scores below 3, so the score alone
# refuses those too, and also keyboard walks, repeats, sequences, dates and the user's own
# name or email, which a plain list lookup would miss.
MIN_SCORE = 3
# zxcvbn refuses longer input and slows down past it; a password whose first 72 characters
# are strong is strong whatever follows.
SCORED_LENGTH = 72
# Words anyone attacking this site would try first.
SITE_WORDS = ("solidarity", "screenings", "screening", "solidarity screenings")

# The English text of two messages (the tests look for it); people get them through _() below.
NOT_CURRENT = "This is not your current password."
SAME_AS_BEFORE = "Choose a password different from the current one."


def not_current() -> str:
    """The message for a wrong current password, in the request's language."""
    return _("This is not your current password.")


@cache
def _hasher_with(params: tuple[tuple[str, int], ...]) -> PasswordHasher:
    return PasswordHasher(**dict(params))


def _hasher() -> PasswordHasher:
    """argon2id with the configured settings (config.ARGON2_PARAMS; cheaper in the tests)."""
    params = current_app.config.get("ARGON2_PARAMS", {}) if has_app_context() else {}
    return _hasher_with(tuple(sorted(params.items())))


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the stored hash (False for a missing or broken hash)."""
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with older parameters and should be replaced."""
    return _hasher().check_needs_rehash(password_hash)


def user_inputs_for(user: User | None = None, email: str | None = None,
                    name: str | None = None) -> list[str]:
    """Words about this person that must not make up their password: email, its parts, name."""
    email = email or (user.email if user is not None else None)
    name = name or (user.display_name if user is not None else None)
    words: list[str] = []
    if email:
        local, _at, domain = email.lower().partition("@")
        words += [email.lower(), local, domain, *re.split(r"[._+-]", local)]
    if name:
        words += [name.lower(), *name.lower().split()]
    return [w for w in words if len(w) >= 3]


def problem_with(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why a new password is not acceptable, or None when it is (length, then guessability)."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(limit)s characters.", limit=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(limit)s characters.", limit=MAX_LENGTH)
    context = [*SITE_WORDS, *user_inputs]
    if _only_context_words(password, context):
        return _("Your name, your email address and the site's name are easy to guess, even "
                 "joined with digits or punctuation. Choose other words.")
    # Imported on first use: its word lists take ~15 MB that a web worker serving pages
    # (and not changing passwords) would otherwise carry for good.
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:SCORED_LENGTH], user_inputs=context)
    if result["score"] < MIN_SCORE:
        personal = any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"])
        # zxcvbn's own warnings exist in English only; ours are translated.
        warning = result["feedback"]["warning"] or (
            _("Your name, your email address and the site's name are easy to guess.")
            if personal else _("This password would be easy to guess."))
        if not warning.endswith("."):
            warning += "."
        return _("%(warning)s Choose something harder to guess: several unrelated words "
                 "make a good password.", warning=warning)
    return None


def _only_context_words(password: str, context: Iterable[str]) -> bool:
    """Whether the letters of the password are nothing but words about the person or site."""
    letters = "".join(ch for ch in password.lower() if ch.isalpha())
    words = {"".join(ch for ch in w.lower() if ch.isalpha()) for w in context}
    words = {w for w in words if len(w) >= 3}
    if not letters or not words:
        return False  # digits and punctuation alone are zxcvbn's to judge
    # Word break by dynamic programming: linear, where a regex alternation could backtrack
    # exponentially on words like "aaa" and "aaaa".
    ends = [True] + [False] * len(letters)
    for end in range(1, len(letters) + 1):
        ends[end] = any(ends[end - len(w)] and letters.startswith(w, end - len(w))
                        for w in words if len(w) <= end)
    return ends[-1]


def _set_password(user: User, password: str, now: datetime) -> None:
    """Store a new password and end every session and pending reset link of the user."""
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    # Raising the version logs out every session, including remember-me cookies.
    user.session_version += 1
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


def set_new_password(user: User, password: str, action: str,
                     now: datetime | None = None) -> None:
    """Apply the policy and store the password (after a reset or an invitation); audits."""
    if problem := problem_with(password, user_inputs_for(user)):
        raise ValidationFailed({"password": problem})
    _set_password(user, password, now or utcnow())
    audit.record(user, action, user)
    db.session.flush()


def change(user: User, current: str, new: str, now: datetime | None = None) -> None:
    """Change a password knowing the current one; ends the other sessions and tells the user."""
    errors = {}
    if not verify(user.password_hash, current):
        errors["current_password"] = not_current()
    elif problem := problem_with(new, user_inputs_for(user)):
        errors["password"] = problem
    elif new == current:
        errors["password"] = _("Choose a password different from the current one.")
    if errors:
        if "current_password" in errors:
            audit.record(user, "auth.password_change_failed", user,
                         after={"reason": "bad_current_password"})
            db.session.flush()
        raise ValidationFailed(errors)
    now = now or utcnow()
    _set_password(user, new, now)
    audit.record(user, "auth.password_change", user)
    db.session.flush()
    security_notice(user, _("Your password was changed"),
                    _("The password of your Solidarity Screenings account was changed on "
                      "%(when)s UTC.", when=notice_time(now)),
                    _("Every other session of your account was logged out."))


def notice_time(now: datetime) -> str:
    """When a change happened, as the security notices say it ("2026-05-01 at 14:30")."""
    return _("%(date)s at %(time)s", date=now.strftime("%Y-%m-%d"),
             time=now.strftime("%H:%M"))


def security_notice(user: User, subject: str, what: str, extra: str = "") -> None:
    """Mail the user that their login details changed, so that a person who did not do it
    can react; `what` says what changed and when, in the language the mail goes out in."""
    paragraphs = [
        _("Hello %(name)s,", name=user.display_name),
        f"{what} {extra}" if extra else what,
        _("If you did this, there is nothing else to do."),
        _("If you did not, someone else may have access to your account: reset your password "
          "straight away with \"Forgot your password?\" on the login page, and tell a "
          "coordinator."),
    ]
    mail.send(user.email, subject, "\n\n".join(paragraphs) + "\n")
