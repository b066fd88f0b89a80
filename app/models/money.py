"""The money ledger: fundraisers, contributions in any currency, exchange rates."""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Rate, TimestampMixin, UTCDateTime, currency_check, enum_column


class Fundraiser(TimestampMixin, db.Model):
    """The fundraiser every screening must have, for one beneficiary."""

    __tablename__ = "fundraisers"

    screening_id: Mapped[int] = mapped_column(
        sa.ForeignKey("screenings.id", ondelete="CASCADE"), unique=True
    )
    beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(500))
    goal_amount_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    goal_currency: Mapped[str | None] = mapped_column(sa.String(3))
    totals_public: Mapped[bool] = mapped_column(default=True)

    screening: Mapped["Screening"] = relationship(back_populates="fundraiser")  # noqa: F821
    beneficiary: Mapped["Beneficiary"] = relationship()  # noqa: F821
    # The database cascades deletes; the ORM must not try to orphan the rows first.
    contributions: Mapped[list["Contribution"]] = relationship(
        back_populates="fundraiser", order_by="Contribution.received_on", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint("goal_amount_minor IS NULL OR goal_amount_minor > 0", name="goal"),
        sa.CheckConstraint(
            "(goal_amount_minor IS NULL) = (goal_currency IS NULL)", name="goal_currency_set"
        ),
        sa.CheckConstraint(
            f"goal_currency IS NULL OR ({currency_check('goal_currency')})",
            name="goal_currency_format",
        ),
    )


class Channel(enum.StrEnum):
    """How money came in at or around a screening."""

    DOOR = "door"
    BAR = "bar"
    MERCHANDISE = "merchandise"
    BANK_TRANSFER = "bank_transfer"
    ONLINE = "online"
    OTHER = "other"


class ContributionState(enum.StrEnum):
    """Where the money is: promised, in hand, sent on, or confirmed received."""

    PLEDGED = "pledged"
    COLLECTED = "collected"
    TRANSFERRED = "transferred"
    CONFIRMED = "confirmed"


class Contribution(TimestampMixin, db.Model):
    """One sum of money for a fundraiser, in its own currency, with its base equivalent."""

    __tablename__ = "contributions"

    fundraiser_id: Mapped[int] = mapped_column(
        sa.ForeignKey("fundraisers.id", ondelete="CASCADE"), index=True
    )
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    received_on: Mapped[date] = mapped_column(index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "contribution_channel"))
    state: Mapped[ContributionState] = mapped_column(
        enum_column(ContributionState, "contribution_state"), default=ContributionState.COLLECTED
    )
    # Base-currency equivalent and the rate that produced it; NULL means unconverted.
    base_currency: Mapped[str | None] = mapped_column(sa.String(3))
    base_amount_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    rate_per_base: Mapped[Decimal | None] = mapped_column(Rate())
    rate_valid_on: Mapped[date | None] = mapped_column()
    transfer_reference: Mapped[str | None] = mapped_column(sa.String(200))
    transferred_on: Mapped[date | None] = mapped_column()
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    version_id: Mapped[int] = mapped_column(default=1)

    fundraiser: Mapped[Fundraiser] = relationship(back_populates="contributions")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint(currency_check("currency"), name="currency_format"),
        sa.CheckConstraint(
            "base_amount_minor IS NULL OR base_amount_minor >= 0", name="base_amount"
        ),
        sa.CheckConstraint(
            "(base_amount_minor IS NULL) = (rate_per_base IS NULL)", name="base_has_rate"
        ),
        sa.CheckConstraint(
            f"base_currency IS NULL OR ({currency_check('base_currency')})",
            name="base_currency_format",
        ),
        sa.Index("ix_contributions_currency_state", "currency", "state"),
    )


class ExchangeRate(TimestampMixin, db.Model):
    """How many units of a currency one base-currency unit buys, from a given day."""

    __tablename__ = "exchange_rates"

    currency: Mapped[str] = mapped_column(sa.String(3))
    valid_on: Mapped[date] = mapped_column()
    per_base: Mapped[Decimal] = mapped_column(Rate())
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Where the figure came from: "form", "api", or "import" (a central bank's CSV file).
    source: Mapped[str] = mapped_column(sa.String(20), default="form", server_default="form")

    __table_args__ = (
        sa.UniqueConstraint("currency", "valid_on"),
        sa.CheckConstraint("per_base > 0", name="per_base_positive"),
        sa.CheckConstraint(currency_check("currency"), name="currency_format"),
    )
