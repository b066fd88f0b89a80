"""Location privacy (DESIGN.md section 5): who may see a venue's address and point."""

from datetime import datetime

from ..models import Screening, User, Visibility, utcnow
from . import permissions


def address_is_public(screening: Screening, now: datetime | None = None) -> bool:
    """Whether anyone may see the venue address now (public venue, or release time reached)."""
    venue = screening.venue
    if venue.visibility == Visibility.PUBLIC:
        return True
    release = venue.address_release_at
    return release is not None and release <= (now or utcnow())


def can_see_address(screening: Screening, user: User | None, now: datetime | None = None,
                    member_ids: set[int] | None = None) -> bool:
    """Whether this person may see the venue address: public, or a host member, or coordinator.

    `member_ids`: the user's collective ids when the caller already read them (a list page
    asks for many screenings and should read the memberships once).
    """
    if address_is_public(screening, now):
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.is_coordinator:
        return True
    if member_ids is None:
        member_ids = permissions.member_collective_ids(user)
    return any(collective.id in member_ids for collective in screening.collectives)


def public_point(screening: Screening, now: datetime | None = None) -> tuple[float, float]:
    """The point a public map may show: the venue's only when its address is public."""
    venue = screening.venue
    if address_is_public(screening, now) and venue.lat is not None and venue.lon is not None:
        return venue.lat, venue.lon
    return screening.city.lat, screening.city.lon
