"""Account safety records: invitations, password resets, two-factor recovery codes."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, UTCDateTime, enum_column
from .collective import MembershipRole
from .user import Role


class Invitation(TimestampMixin, db.Model):
    """An emailed, single-use, expiring invitation to join (and perhaps to a collective)."""

    __tablename__ = "invitations"

    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "invitation_role"), default=Role.ORGANISER)
    collective_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    membership_role: Mapped[MembershipRole] = mapped_column(
        enum_column(MembershipRole, "invitation_membership_role"),
        default=MembershipRole.MEMBER,
    )
    # Only a hash is stored: a leaked database does not hand out working links.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    collective: Mapped["Collective | None"] = relationship()  # noqa: F821
    invited_by: Mapped["User | None"] = relationship(foreign_keys=[invited_by_id])  # noqa: F821

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)


class PasswordReset(TimestampMixin, db.Model):
    """A single-use, expiring password reset link; only its hash is stored."""

    __tablename__ = "password_resets"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped["User"] = relationship()  # noqa: F821


class RecoveryCode(TimestampMixin, db.Model):
    """A one-time code that stands in for a lost authenticator; only its hash is stored."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(TimestampMixin, db.Model):
    """A personal API token; only its SHA-256 hash is stored, with a short prefix so that
    its owner can tell tokens apart on the page that lists them."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped["User"] = relationship()  # noqa: F821
