"""Password hashing with argon2id; hashes made with weaker settings are upgraded on login."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context


@cache
def _hasher_with(params: tuple[tuple[str, int], ...]) -> PasswordHasher:
    return PasswordHasher(**dict(params))


def _hasher() -> PasswordHasher:
    """argon2id with the library's RFC 9106 defaults, or cheaper settings the tests choose."""
    params = current_app.config.get("ARGON2_PARAMS", {}) if has_app_context() else {}
    return _hasher_with(tuple(sorted(params.items())))

MIN_LENGTH = 12
MAX_LENGTH = 128


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


def problem_with(password: str) -> str | None:
    """Why a new password is not acceptable, or None when it is."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    return None
