"""Host collectives and who belongs to them."""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, enum_column


class MembershipRole(enum.StrEnum):
    """A member's role inside one collective."""

    MEMBER = "member"
    ADMIN = "admin"


class Collective(TimestampMixin, db.Model):
    """An activist collective that hosts screenings; trusted ones publish without approval."""

    __tablename__ = "collectives"

    name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    home_city_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cities.id"))
    public_contact: Mapped[str | None] = mapped_column(sa.String(254))
    website: Mapped[str | None] = mapped_column(sa.String(500))
    is_trusted: Mapped[bool] = mapped_column(default=False)

    home_city: Mapped["City | None"] = relationship()  # noqa: F821
    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="collective", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Collective {self.slug}>"


class Membership(TimestampMixin, db.Model):
    """A user's membership of a collective."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    collective_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MembershipRole] = mapped_column(
        enum_column(MembershipRole, "membership_role"), default=MembershipRole.MEMBER
    )

    user: Mapped["User"] = relationship(back_populates="memberships")  # noqa: F821
    collective: Mapped[Collective] = relationship(back_populates="memberships")

    __table_args__ = (sa.UniqueConstraint("user_id", "collective_id"),)
