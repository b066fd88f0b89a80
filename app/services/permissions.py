"""Who may see and change what (DESIGN.md section 3); other collectives' objects are 404."""

from sqlalchemy import select

from ..extensions import db
from ..models import Collective, Membership, MembershipRole, Screening, User


def member_collective_ids(user: User | None) -> set[int]:
    """Ids of the collectives the user belongs to (read fresh, so revocations apply at once)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(
        db.session.scalars(select(Membership.collective_id).where(Membership.user_id == user.id))
    )


def admin_collective_ids(user: User | None) -> set[int]:
    """Ids of the collectives in which the user is a collective admin."""
    if user is None or not user.is_authenticated:
        return set()
    return set(
        db.session.scalars(
            select(Membership.collective_id).where(
                Membership.user_id == user.id, Membership.role == MembershipRole.ADMIN
            )
        )
    )


def hosts_include_member(screening: Screening, user: User | None) -> bool:
    """Whether the user belongs to one of the screening's host collectives."""
    ids = member_collective_ids(user)
    return any(collective.id in ids for collective in screening.collectives)


def can_edit_screening(screening: Screening, user: User | None) -> bool:
    """Coordinators edit any screening; organisers those of their own collectives."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_coordinator or hosts_include_member(screening, user)


def collectives_for_new_screening(user: User) -> list[Collective]:
    """The collectives in whose name this user may register a screening."""
    query = select(Collective).order_by(Collective.name)
    if not user.is_coordinator:
        query = query.join(Membership).where(Membership.user_id == user.id)
    return list(db.session.scalars(query))


def can_manage_members(collective: Collective, user: User | None) -> bool:
    """Coordinators manage every collective's members; collective admins their own."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_coordinator or collective.id in admin_collective_ids(user)


def is_site_admin(user: User | None) -> bool:
    """Whether the user manages accounts and site roles (the site admin role)."""
    from ..models import Role  # appended helper: the module's import line stays as it was

    return user is not None and user.is_authenticated and user.role == Role.ADMIN
