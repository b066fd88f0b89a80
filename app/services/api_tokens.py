"""Personal API tokens: made, shown once, stored as a SHA-256 hash, checked, and revoked."""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import ApiToken, User, utcnow
from . import audit
from .errors import NotFound, ValidationFailed

# "ss_" marks the secret as this site's (secret scanners and people can recognise it).
TOKEN_PREFIX = "ss_"  # noqa: S105 (a marker, not a secret)
SECRET_BYTES = 32
# The shown prefix: enough to tell tokens apart, far too little to guess the rest.
SHOWN_LENGTH = len(TOKEN_PREFIX) + 8
MAX_LABEL = 100
MAX_ACTIVE = 20
# Longer than any token we make: anything longer is not worth hashing.
MAX_TOKEN_LENGTH = 200
# last_used_at is written at most this often per token, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _active_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(ApiToken.id)).where(ApiToken.user_id == user.id,
                                              ApiToken.revoked_at.is_(None))
    )


def create(user: User, label: str = "", actor: User | None = None) -> tuple[str, ApiToken]:
    """A new token for the user: (the plaintext, shown only now; the stored record).

    actor is who acts (the user on the account page; None on the command line).
    """
    label = (label or "").strip()
    errors = {}
    if len(label) > MAX_LABEL:
        errors["label"] = _("Use at most %(limit)s characters.", limit=MAX_LABEL)
    if not user.is_active:
        errors["user"] = _("This account is deactivated.")
    elif _active_count(user) >= MAX_ACTIVE:
        errors["label"] = _("You already have %(count)s tokens; revoke one you no longer use "
                            "first.", count=MAX_ACTIVE)
    if errors:
        raise ValidationFailed(errors)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    record = ApiToken(user_id=user.id, label=label, prefix=plaintext[:SHOWN_LENGTH],
                      token_hash=_hash(plaintext))
    db.session.add(record)
    db.session.flush()
    # The audit trail names the token by id and prefix; never the secret or its hash.
    audit.record(actor, "api_token.create", record,
                 after={"user_id": user.id, "label": label, "prefix": record.prefix})
    return plaintext, record


def authenticate(plaintext: str, now: datetime | None = None) -> User | None:
    """The active user a live token belongs to, else None; stamps its use once a minute."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > MAX_TOKEN_LENGTH:
        return None
    row = db.session.execute(
        select(ApiToken, User).join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _hash(plaintext))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.is_active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        # A conditional UPDATE: concurrent requests stamp once and never move it backwards.
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id,
                   (ApiToken.last_used_at.is_(None))
                   | (ApiToken.last_used_at <= now - TOUCH_INTERVAL))
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(token, "last_used_at", now)  # already written: not dirty
    return user


def list_for(user: User) -> list[ApiToken]:
    """The user's tokens, live ones first, newest first within each."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                  ApiToken.id.desc())
    ))


def revoke(token_id: int, actor: User) -> ApiToken:
    """Revoke one of the actor's own tokens (NotFound for anyone else's); repeating is harmless."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record(actor, "api_token.revoke", token,
                     after={"user_id": token.user_id, "label": token.label,
                            "prefix": token.prefix})
    return token
