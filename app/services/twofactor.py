"""Two-factor authentication: TOTP (RFC 6238) enrolment and checks, one-time recovery codes."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import AuditEvent, RecoveryCode, User, utcnow
from . import audit, passwords
from .errors import DomainError, ValidationFailed

ISSUER = SITE = "Solidarity Screenings"
STEP_SECONDS = 30
# Codes from one step before or after the current one are accepted (clocks drift).
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper and typed by hand.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_GROUP = 5
RECOVERY_LENGTH = 10
# Wrong codes for one account within the window before further codes are not even checked.
MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)

# The English text of two messages (the tests look for it); people get them through _() below.
WRONG_CODE = "This code is not right, or it was already used."
TOO_MANY = "Too many wrong codes. Wait a few minutes, then try again."


class TwoFactorError(DomainError):
    """Two-factor authentication cannot be changed like this; the message is safe to show."""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def step_at(now: datetime) -> int:
    """The TOTP time step (counter) of a moment."""
    return int(now.timestamp()) // STEP_SECONDS


def code_for(secret: str, step: int) -> str:
    """The six-digit code of a secret at a time step."""
    return pyotp.TOTP(secret).generate_otp(step)


def provisioning_uri(user: User) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (drawn with attributes only, nothing a CSP blocks)."""
    return segno.make(uri, error="m", micro=False).svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title="QR code for your authenticator app",
        svgclass="qr-code", lineclass=None,
    )


def begin_enrolment(user: User) -> None:
    """Give the user a pending secret (kept until confirmed, so a reload shows the same QR)."""
    if user.has_two_factor:
        raise TwoFactorError(_("Two-factor authentication is already on for this account."))
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
        user.totp_last_step = None
        db.session.flush()


def _matching_step(user: User, code: str, now: datetime) -> int | None:
    """The unused time step whose code this is, within the drift allowed; None if none."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit() or user.totp_secret is None:
        return None
    current = step_at(now)
    last = user.totp_last_step if user.totp_last_step is not None else -1
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # A step at or before the last accepted one is a replay, even with the right digits.
        if step > last and hmac.compare_digest(code_for(user.totp_secret, step), code):
            return step
    return None


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _use_recovery_code(user: User, code: str, now: datetime) -> bool:
    """Mark an unused recovery code of the user used; False if there is none like it."""
    normalised = _normalise_recovery(code)
    if len(normalised) != RECOVERY_LENGTH:
        return False
    found = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _sha256(normalised),
        RecoveryCode.used_at.is_(None),
    ))
    if found is None:
        return False
    found.used_at = now
    return True


def _recent_failures(user: User, now: datetime) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "auth.2fa_failed", AuditEvent.object_type == "user",
        AuditEvent.object_id == user.id, AuditEvent.created_at > now - FAILURE_WINDOW,
    )) or 0


def check_code(user: User, code: str, purpose: str, now: datetime | None = None,
               allow_recovery: bool = False) -> str:
    """Accept a current TOTP code (or, if allowed, a recovery code) once; say which it was.

    A wrong or replayed code is audited as auth.2fa_failed and raises ValidationFailed on the
    field "code"; the caller commits in both cases so that the failure stays on record.
    """
    now = now or utcnow()
    if _recent_failures(user, now) >= MAX_FAILURES:
        raise ValidationFailed({"code": _("Too many wrong codes. Wait a few minutes, then try "
                                          "again.")})
    step = _matching_step(user, code, now)
    if step is not None:
        user.totp_last_step = step
        db.session.flush()
        return "totp"
    if allow_recovery and _use_recovery_code(user, code, now):
        db.session.flush()
        return "recovery_code"
    audit.record(user, "auth.2fa_failed", user, after={"purpose": purpose})
    db.session.flush()
    raise ValidationFailed({"code": _("This code is not right, or it was already used.")})


def _new_recovery_codes(user: User, now: datetime) -> list[str]:
    """Replace the user's recovery codes with fresh ones; the plain codes are returned once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _position in range(RECOVERY_LENGTH))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_sha256(raw), created_at=now))
        codes.append(f"{raw[:RECOVERY_GROUP]}-{raw[RECOVERY_GROUP:]}")
    db.session.flush()
    return codes


def confirm_enrolment(user: User, code: str, now: datetime | None = None) -> list[str]:
    """Switch two-factor on once the pending secret gives a right code; returns recovery codes."""
    now = now or utcnow()
    if user.has_two_factor or user.totp_secret is None:
        raise TwoFactorError(_("Start the set-up again: there is no authenticator waiting to "
                               "be confirmed."))
    check_code(user, code, "enrol", now)
    user.totp_confirmed_at = now
    codes = _new_recovery_codes(user, now)
    audit.record(user, "auth.2fa_enabled", user)
    db.session.flush()
    passwords.security_notice(
        user, _("Two-factor authentication is on"),
        _("Two-factor authentication was switched on for your %(site)s account on %(when)s "
          "UTC.", site=SITE, when=passwords.notice_time(now)))
    return codes


def regenerate_recovery_codes(user: User, code: str, now: datetime | None = None) -> list[str]:
    """New recovery codes (the old ones stop working), given a current TOTP code."""
    now = now or utcnow()
    if not user.has_two_factor:
        raise TwoFactorError(_("Two-factor authentication is not on for this account."))
    check_code(user, code, "regenerate_recovery_codes", now)
    codes = _new_recovery_codes(user, now)
    audit.record(user, "auth.2fa_recovery_codes_regenerated", user)
    db.session.flush()
    passwords.security_notice(
        user, _("New recovery codes"),
        _("New two-factor recovery codes were made for your %(site)s account (the old ones "
          "stopped working) on %(when)s UTC.", site=SITE, when=passwords.notice_time(now)))
    return codes


def disable(user: User, password: str, code: str, now: datetime | None = None) -> None:
    """Switch two-factor off with the password and a code; coordinators and admins may not."""
    now = now or utcnow()
    if user.is_coordinator:
        raise TwoFactorError(_("Coordinators and admins must keep two-factor authentication "
                               "on."))
    if not user.has_two_factor:
        raise TwoFactorError(_("Two-factor authentication is not on for this account."))
    _check_password(user, password, "disable")
    check_code(user, code, "disable", now, allow_recovery=True)
    _switch_off(user)
    audit.record(user, "auth.2fa_disabled", user)
    db.session.flush()
    passwords.security_notice(
        user, _("Two-factor authentication is off"),
        _("Two-factor authentication was switched off for your %(site)s account on %(when)s "
          "UTC.", site=SITE, when=passwords.notice_time(now)))


def _check_password(user: User, password: str, purpose: str) -> None:
    """Refuse (and audit) a wrong current password before a two-factor change."""
    if not passwords.verify(user.password_hash, password):
        audit.record(user, "auth.2fa_password_failed", user, after={"purpose": purpose})
        db.session.flush()
        raise ValidationFailed({"password": passwords.not_current()})


def _switch_off(user: User) -> None:
    """Forget the secret and the recovery codes."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def replace_authenticator(user: User, password: str, code: str,
                          now: datetime | None = None) -> None:
    """Drop the current authenticator (lost phone) and start enrolling a new one at once."""
    now = now or utcnow()
    if not user.has_two_factor:
        raise TwoFactorError(_("Two-factor authentication is not on for this account."))
    _check_password(user, password, "replace")
    check_code(user, code, "replace", now, allow_recovery=True)
    _switch_off(user)
    begin_enrolment(user)
    audit.record(user, "auth.2fa_replaced", user)
    db.session.flush()
    passwords.security_notice(
        user, _("Your authenticator app was replaced"),
        _("The authenticator app of your %(site)s account was removed to set up a new one on "
          "%(when)s UTC.", site=SITE, when=passwords.notice_time(now)))


def unused_recovery_codes(user: User) -> int:
    """How many recovery codes the user has left."""
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
    )) or 0


def complete_login(user: User, code: str, now: datetime | None = None) -> str:
    """The second step of logging in: a TOTP or recovery code; audits the login on success."""
    now = now or utcnow()
    method = check_code(user, code, "login", now, allow_recovery=True)
    audit.record(user, "auth.login", user, after={"second_factor": method})
    db.session.flush()
    return method


def demo_code(user: User, now: datetime | None = None) -> tuple[str, int] | None:
    """A code that will be accepted now for a demo account, and the seconds it stays valid.

    None when the current and the next step were both used already (wait for the next one).
    """
    now = now or utcnow()
    current = step_at(now)
    last = user.totp_last_step if user.totp_last_step is not None else -1
    for step in (current, current + DRIFT_STEPS):
        if step > last:
            valid_until = (step + DRIFT_STEPS + 1) * STEP_SECONDS
            return code_for(user.totp_secret, step), valid_until - int(now.timestamp())
    return None
