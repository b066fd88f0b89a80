"""Accounts: creating users, checking credentials, collective membership."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..locales import LazyLabels
from ..models import Collective, Membership, MembershipRole, Role, User
from . import audit, passwords
from .errors import ValidationFailed

_dummy_hashes: dict[str, str] = {}
# Site roles as a sentence names them ("the site role: coordinator"), in the reader's language.
SITE_ROLE_NAMES = LazyLabels({
    Role.ORGANISER: _l("organiser"),
    Role.COORDINATOR: _l("coordinator"),
    Role.ADMIN: _l("admin"),
})
# Collective roles, as the members page names them.
MEMBERSHIP_ROLE_NAMES = LazyLabels({
    MembershipRole.MEMBER: _l("member"),
    MembershipRole.ADMIN: _l("admin"),
})


def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so the timing is the same either way."""
    key = "current"
    if key not in _dummy_hashes:
        _dummy_hashes[key] = passwords.hash_password("timing-equaliser-not-a-real-password")
    return _dummy_hashes[key]


def find_by_email(email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    email: str,
    role: Role | str,
    password: str,
    display_name: str | None = None,
    collective_slug: str | None = None,
    actor: User | None = None,
) -> User:
    """Create an account (optionally a member of a collective); flushes, the caller commits."""
    errors: dict[str, str] = {}
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        errors["email"] = str(exc)
    try:
        role = Role(role)
    except ValueError:
        errors["role"] = _("Role must be one of: %(roles)s.",
                           roles=", ".join(r.value for r in Role))
    if problem := passwords.problem_with(password):
        errors["password"] = problem
    collective = None
    if collective_slug:
        collective = db.session.scalar(select(Collective).where(Collective.slug == collective_slug))
        if collective is None:
            errors["collective"] = _("No collective with the slug %(slug)s.",
                                     slug=repr(collective_slug))
    if "email" not in errors and find_by_email(email):
        errors["email"] = _("An account with this email already exists.")
    name = (display_name or "").strip() or email.split("@")[0]
    if len(name) > 120:
        errors["name"] = _("Use at most %(limit)s characters.", limit=120)
    if errors:
        raise ValidationFailed(errors)

    user = User(
        email=email, display_name=name, role=role,
        password_hash=passwords.hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    if collective is not None:
        db.session.add(Membership(user=user, collective=collective, role=MembershipRole.MEMBER))
    audit.record(actor, "user.create", user, after={"role": role, "collective": collective_slug})
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user these credentials belong to, or None; upgrades an outdated hash."""
    user = find_by_email(email)
    if user is None or not user.is_active:
        passwords.verify(_dummy_hash(), password)
        audit.record(None, "auth.login_failed", None, after={"reason": "unknown_or_inactive"})
        return None
    if not passwords.verify(user.password_hash, password):
        audit.record(user, "auth.login_failed", user, after={"reason": "bad_password"})
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    # With two-factor authentication the login happens (and is audited) after the code.
    audit.record(user, "auth.password_ok" if user.has_two_factor else "auth.login", user)
    return user


def count_users() -> int:
    """How many accounts exist."""
    return db.session.scalar(select(func.count(User.id))) or 0
