"""Collective membership: who belongs, their role, and the rule that a collective keeps an admin."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Collective, Membership, MembershipRole, User
from . import audit, permissions
from .errors import DomainError, NotFound, ValidationFailed


class LastAdmin(DomainError):
    """The change would leave the collective without an admin, and the actor may not do that."""


@dataclass(frozen=True)
class CollectiveRow:
    """A collective in a list, and whether the viewer may manage its members."""

    collective: Collective
    can_manage: bool
    member_count: int


def get_managed(slug: str, actor: User) -> Collective:
    """A collective whose members the actor manages; NotFound otherwise (even if it exists)."""
    collective = db.session.scalar(select(Collective).where(Collective.slug == slug))
    if collective is None or not permissions.can_manage_members(collective, actor):
        raise NotFound(_("No such collective."))
    return collective


def members_of(collective: Collective) -> list[Membership]:
    """The collective's memberships with their users, admins first, then by name."""
    return list(db.session.scalars(
        select(Membership).join(Membership.user)
        .where(Membership.collective_id == collective.id)
        .options(selectinload(Membership.user))
        .order_by(case((Membership.role == MembershipRole.ADMIN, 0), else_=1),
                  func.lower(User.display_name), User.id)
    ))


def get_membership(collective: Collective, membership_id: int) -> Membership:
    """One membership of this collective; NotFound if it belongs to another."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.collective_id != collective.id:
        raise NotFound(_("No such member."))
    return membership


def visible_collectives(user: User) -> list[CollectiveRow]:
    """Every collective for coordinators; the user's own for everyone else."""
    counts = (select(Membership.collective_id, func.count(Membership.id).label("n"))
              .group_by(Membership.collective_id).subquery())
    query = (select(Collective, func.coalesce(counts.c.n, 0))
             .outerjoin(counts, counts.c.collective_id == Collective.id)
             .order_by(func.lower(Collective.name)))
    if not user.is_coordinator:
        query = query.where(Collective.id.in_(permissions.member_collective_ids(user)))
    managed = permissions.admin_collective_ids(user)
    return [CollectiveRow(c, user.is_coordinator or c.id in managed, n)
            for c, n in db.session.execute(query)]


def managed_collectives(user: User) -> list[Collective]:
    """The collectives in which the user is a collective admin."""
    ids = permissions.admin_collective_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(
        select(Collective).where(Collective.id.in_(ids)).order_by(func.lower(Collective.name))))


def _admin_count(collective_id: int) -> int:
    """How many admins the collective has now."""
    return db.session.scalar(select(func.count(Membership.id)).where(
        Membership.collective_id == collective_id, Membership.role == MembershipRole.ADMIN)) or 0


def _check_keeps_admin(membership: Membership, actor: User) -> str | None:
    """Refuse taking away the last admin unless a coordinator does it; then return a warning."""
    if membership.role != MembershipRole.ADMIN or _admin_count(membership.collective_id) > 1:
        return None
    if not actor.is_coordinator:
        raise LastAdmin(_("A collective needs at least one admin. Make someone else admin "
                          "first."))
    return _("%(name)s has no collective admin now: only coordinators can invite or manage its "
             "members until someone is made admin.", name=membership.collective.name)


def _require_manager(membership: Membership, actor: User) -> None:
    """NotFound unless the actor manages the membership's collective."""
    if not permissions.can_manage_members(membership.collective, actor):
        raise NotFound(_("No such member."))


def change_role(membership: Membership, role: MembershipRole | str, actor: User) -> str | None:
    """Make a member admin or an admin member; returns a warning when no admin is left."""
    _require_manager(membership, actor)
    try:
        role = MembershipRole(role)
    except ValueError:
        raise ValidationFailed({"role": _("Choose member or admin.")}) from None
    if role == membership.role:
        return None
    warning = _check_keeps_admin(membership, actor) if role == MembershipRole.MEMBER else None
    before = membership.role
    membership.role = role
    audit.record(actor, "membership.role_change", membership,
                 before={"user_id": membership.user_id, "role": before},
                 after={"user_id": membership.user_id, "role": role,
                        "collective": membership.collective.slug})
    db.session.flush()
    return warning


def remove(membership: Membership, actor: User) -> str | None:
    """Take someone out of a collective (effective on their next request); may warn as above."""
    _require_manager(membership, actor)
    warning = _check_keeps_admin(membership, actor)
    audit.record(actor, "membership.remove", membership,
                 before={"user_id": membership.user_id, "role": membership.role,
                         "collective": membership.collective.slug},
                 after=None)
    db.session.delete(membership)
    db.session.flush()
    return warning
