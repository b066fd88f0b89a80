"""Site administration of accounts: site roles, deactivation, and keeping one active admin."""

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Membership, Role, User
from . import audit, permissions
from .errors import DomainError, NotFound, ValidationFailed


class NotAllowed(DomainError):
    """Only site admins manage accounts."""


class LastActiveAdmin(DomainError):
    """The change would leave the site without an active admin."""


def _require_admin(actor: User) -> None:
    """NotAllowed unless the actor is a site admin."""
    if not permissions.is_site_admin(actor):
        raise NotAllowed(_("Only site admins manage accounts."))


def list_users(actor: User) -> list[User]:
    """Every account with its collectives loaded, ordered by email."""
    _require_admin(actor)
    return list(db.session.scalars(
        select(User).options(selectinload(User.memberships).selectinload(Membership.collective))
        .order_by(User.email)
    ))


def get_user(actor: User, user_id: int) -> User:
    """One account, for an admin; NotFound if there is none."""
    _require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such account."))
    return user


def _check_keeps_an_admin(user: User) -> None:
    """Refuse to take away the last active admin (which, since only admins act, is oneself)."""
    if user.role != Role.ADMIN or not user.is_active:
        return
    others = db.session.scalar(select(func.count(User.id)).where(
        User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id)) or 0
    if others == 0:
        raise LastActiveAdmin(_("This is the last active admin account. Make another account "
                                "admin first."))


def change_role(user: User, role: Role | str, actor: User) -> None:
    """Set the site role; every session of the user ends, so the new rights apply at once."""
    _require_admin(actor)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed({"role": _("Choose organiser, coordinator or admin.")}) from None
    if role == user.role:
        return
    if role != Role.ADMIN:
        _check_keeps_an_admin(user)
    before = user.role
    user.role = role
    user.session_version += 1
    audit.record(actor, "user.role_change", user, before={"role": before}, after={"role": role})
    db.session.flush()


def deactivate(user: User, actor: User) -> None:
    """Stop an account from logging in and end every session it has."""
    _require_admin(actor)
    if not user.is_active:
        return
    _check_keeps_an_admin(user)
    user.is_active = False
    user.session_version += 1
    audit.record(actor, "user.deactivate", user, before={"is_active": True},
                 after={"is_active": False})
    db.session.flush()


def reactivate(user: User, actor: User) -> None:
    """Let a deactivated account log in again (its old sessions stay ended)."""
    _require_admin(actor)
    if user.is_active:
        return
    user.is_active = True
    audit.record(actor, "user.reactivate", user, before={"is_active": False},
                 after={"is_active": True})
    db.session.flush()
