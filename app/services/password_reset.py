"""Password reset by emailed link: a random, single-use, expiring token stored only as a hash."""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import PasswordReset, User, utcnow
from . import audit, mail, passwords, users


def _hash(token: str) -> str:
    """The stored form of a token: a leaked table holds no working link."""
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str, now: datetime | None = None) -> None:
    """Mail a reset link to an active account with this email; do nothing visible otherwise."""
    now = now or utcnow()
    user = users.find_by_email(email)
    if user is None or not user.is_active:
        # Nothing is sent and nothing is audited with the typed address: the answer and the
        # trail must not tell whether an account exists.
        return
    token = secrets.token_urlsafe(32)  # 256 bits
    minutes = current_app.config["PASSWORD_RESET_VALID_MINUTES"]
    reset = PasswordReset(user_id=user.id, token_hash=_hash(token),
                          expires_at=now + timedelta(minutes=minutes))
    db.session.add(reset)
    db.session.flush()
    audit.record(None, "auth.password_reset_requested", user, after={"reset_id": reset.id})
    link = url_for("account.reset_password", token=token, _external=True)
    mail.send(user.email, _("Reset your password"), _reset_mail(user, link, minutes))


def _reset_mail(user: User, link: str, minutes: int) -> str:
    """The message with the link, in the language of the request that asked for it."""
    paragraphs = [
        _("Hello %(name)s,", name=user.display_name),
        _("someone (we hope you) asked to reset the password of your Solidarity Screenings "
          "account. To choose a new password, open this link:"),
        link,
        _("The link works once, for %(minutes)s minutes.", minutes=minutes),
        _("If you did not ask for this, ignore this message: your password stays as it is."),
    ]
    return "\n\n".join(paragraphs) + "\n"


def find_valid(token: str, now: datetime | None = None) -> PasswordReset | None:
    """The unused, unexpired reset for a token, of an active user; None for anything else."""
    now = now or utcnow()
    if not token or len(token) > 200:
        return None
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _hash(token)))
    if (reset is None or reset.used_at is not None or reset.expires_at <= now
            or not reset.user.is_active):
        return None
    return reset


def complete(reset: PasswordReset, password: str, now: datetime | None = None) -> User:
    """Set the new password through a valid reset; every open link is used up; audits login."""
    now = now or utcnow()
    user = reset.user
    # Marks every unused reset of the user used (this one included), ends every session.
    passwords.set_new_password(user, password, "auth.password_reset", now=now)
    reset.used_at = now
    if not user.has_two_factor:
        # The caller logs the person in now; with 2FA that waits for the second step.
        audit.record(user, "auth.login", user, after={"via": "password_reset"})
    db.session.flush()
    passwords.security_notice(
        user, _("Your password was reset"),
        _("The password of your Solidarity Screenings account was reset through an emailed "
          "link on %(when)s UTC.", when=passwords.notice_time(now)),
        _("Every session of your account was logged out."))
    return user
