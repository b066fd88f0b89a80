"""User accounts and their site-wide roles."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from .base import TimestampMixin, UTCDateTime, enum_column


class Role(enum.StrEnum):
    """Site-wide role; collective membership roles live on Membership."""

    ORGANISER = "organiser"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class User(TimestampMixin, UserMixin, db.Model):
    """A person who logs in. The email is private and never shown publicly."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"), default=Role.ORGANISER)
    is_active: Mapped[bool] = mapped_column(default=True)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    # Set once the user proved the authenticator works; until then the secret is pending.
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last TOTP time step accepted: a code from that step or earlier is a replay.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Raised to end every session of this user (logout everywhere, password change).
    session_version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list["Membership"]] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        # Emails are unique case-insensitively: store them folded.
        return value.strip().lower()

    def get_id(self) -> str:
        """Flask-Login identity: the id plus the session version, so old sessions stop working."""
        return f"{self.id}:{self.session_version}"

    @property
    def has_two_factor(self) -> bool:
        """Whether the user confirmed an authenticator app."""
        return self.totp_secret is not None and self.totp_confirmed_at is not None

    @property
    def must_enrol_two_factor(self) -> bool:
        """Coordinators and admins must use two-factor authentication."""
        return self.is_coordinator and not self.has_two_factor

    @property
    def is_coordinator(self) -> bool:
        """Coordinators and admins see and act on every collective's objects."""
        return self.role in (Role.COORDINATOR, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
