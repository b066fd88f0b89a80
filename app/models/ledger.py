"""The ledger's running sums per fundraiser, day, currency and state, kept with every write
so that dashboards add up thousands of rows instead of millions."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import currency_check, enum_column
from .money import ContributionState


class LedgerDay(db.Model):
    """Contributions of one fundraiser on one day, in one currency and state, summed.

    The screening's place, film and beneficiary are copied in so that a breakdown is one
    indexed GROUP BY on this table; services/ledger/rollup.py keeps it in step.
    """

    __tablename__ = "ledger_days"

    fundraiser_id: Mapped[int] = mapped_column(
        sa.ForeignKey("fundraisers.id", ondelete="CASCADE"), primary_key=True
    )
    received_on: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    state: Mapped[ContributionState] = mapped_column(
        enum_column(ContributionState, "ledger_day_state"), primary_key=True
    )
    received_month: Mapped[str] = mapped_column(sa.String(7))  # "YYYY-MM"
    country_id: Mapped[int] = mapped_column(sa.ForeignKey("countries.id"))
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"))
    film_id: Mapped[int] = mapped_column(sa.ForeignKey("films.id"))
    beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id"))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    count: Mapped[int] = mapped_column(default=0)
    # Sum of the base amounts of the converted contributions; `unconverted` counts the rest.
    base_amount_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    unconverted: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint("count >= 0 AND unconverted >= 0 AND unconverted <= count",
                           name="counts"),
        sa.CheckConstraint(currency_check("currency"), name="currency_format"),
        # Covering indexes: each breakdown reads one index, never the table.
        sa.Index("ix_ledger_days_country", "country_id", "state", "currency", "amount_minor",
                 "count", "base_amount_minor", "unconverted"),
        sa.Index("ix_ledger_days_month", "received_month", "state", "currency", "amount_minor",
                 "count", "base_amount_minor", "unconverted"),
        sa.Index("ix_ledger_days_currency", "currency", "state", "amount_minor", "count",
                 "base_amount_minor", "unconverted"),
        sa.Index("ix_ledger_days_film", "film_id", "state", "base_amount_minor", "count",
                 "unconverted"),
        sa.Index("ix_ledger_days_beneficiary", "beneficiary_id", "state", "base_amount_minor",
                 "count", "unconverted"),
        sa.Index("ix_ledger_days_city", "city_id", "state", "base_amount_minor", "count",
                 "unconverted"),
        sa.Index("ix_ledger_days_received_on", "received_on"),
    )

