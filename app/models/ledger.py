"""The ledger's running sums, kept with every write so that dashboards add up thousands of
rows instead of millions: per fundraiser, day, currency and state (ledger_days), and per
month and place, film, beneficiary, host collective and state, with and without the currency
(ledger_months, ledger_month_bases)."""

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
    # The screening's only host collective; 0 when it has several (or none): such days are
    # expanded per host from screening_hosts, never from the month tables.
    host_id: Mapped[int] = mapped_column(default=0, server_default="0")
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
        # The days at the edges of a date range: every column, so the index alone answers.
        sa.Index("ix_ledger_days_day", "received_on", "state", "currency", "country_id",
                 "city_id", "film_id", "beneficiary_id", "host_id", "fundraiser_id",
                 "received_month", "amount_minor", "count", "base_amount_minor",
                 "unconverted"),
        sa.Index("ix_ledger_days_host", "host_id"),
    )


# Every column a month query may filter on, after the grouped ones: the indexes cover them.
_MONTH_DIMS = ("received_month", "host_id", "country_id", "city_id", "film_id",
               "beneficiary_id")


class _MonthSums:
    """Columns shared by the two month tables: the key without the fundraiser and the day."""

    received_month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)  # "YYYY-MM"
    # As in ledger_days: the only host collective, 0 for a screening with several.
    host_id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), primary_key=True)
    film_id: Mapped[int] = mapped_column(sa.ForeignKey("films.id"), primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id"),
                                                primary_key=True)
    country_id: Mapped[int] = mapped_column(sa.ForeignKey("countries.id"))
    count: Mapped[int] = mapped_column(default=0)
    base_amount_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    unconverted: Mapped[int] = mapped_column(default=0)


class LedgerMonth(_MonthSums, db.Model):
    """Ledger days summed per month, place, film, beneficiary, host, currency and state:
    the totals per currency. Kept in step by services/ledger/months.py."""

    __tablename__ = "ledger_months"

    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    state: Mapped[ContributionState] = mapped_column(
        enum_column(ContributionState, "ledger_month_state"), primary_key=True
    )
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    __table_args__ = (
        sa.CheckConstraint("count >= 0 AND unconverted >= 0 AND unconverted <= count",
                           name="counts"),
        sa.CheckConstraint(currency_check("currency"), name="currency_format"),
        sa.Index("ix_ledger_months_currency", "currency", "state", *_MONTH_DIMS,
                 "amount_minor", "count", "base_amount_minor", "unconverted"),
    )


class LedgerMonthBase(_MonthSums, db.Model):
    """Ledger days summed per month, place, film, beneficiary, host and state, all currencies
    together (base amounts only): the breakdowns read these few rows."""

    __tablename__ = "ledger_month_bases"

    state: Mapped[ContributionState] = mapped_column(
        enum_column(ContributionState, "ledger_month_base_state"), primary_key=True
    )

    __table_args__ = (
        sa.CheckConstraint("count >= 0 AND unconverted >= 0 AND unconverted <= count",
                           name="counts"),
        # Covering indexes: each breakdown reads one index, whatever the filters.
        *(sa.Index(f"ix_ledger_month_bases_{name}", column, "state",
                   *(d for d in _MONTH_DIMS if d != column), "count", "base_amount_minor",
                   "unconverted")
          for name, column in (("month", "received_month"), ("host", "host_id"),
                               ("country", "country_id"), ("city", "city_id"),
                               ("film", "film_id"), ("beneficiary", "beneficiary_id"))),
    )

