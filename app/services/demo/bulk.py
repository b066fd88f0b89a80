"""Synthetic screenings and contributions in bulk, for load tests; marked so reruns add none.

Rows go in by batched multi-row INSERTs, not the ORM unit of work, and are not audited one
by one (a single audit event records each generation run).
"""

import random
from bisect import bisect_right
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from ...extensions import db
from ...models import (
    Beneficiary,
    CancelReason,
    Channel,
    City,
    Collective,
    Contribution,
    ContributionState,
    Country,
    ExchangeRate,
    Film,
    Fundraiser,
    Screening,
    Status,
    User,
    Venue,
    Visibility,
    screening_hosts,
    utcnow,
)
from .. import audit, ledger, money, revisions
from . import data

MARKER = "[synthetic demo data]"
SCREENING_BATCH = 2_000
CONTRIBUTION_BATCH = 20_000
TIMES = [time(18), time(18, 30), time(19), time(19, 30), time(20)]
PURPOSES = ["Medical supplies", "Drones", "Vehicles", "Recovery of the injured",
            "Food deliveries to front-line villages"]
# Typical gifts in euros; other currencies scale them by a round factor.
EURO_GIFTS = [5, 10, 10, 15, 20, 20, 25, 30, 40, 50, 50, 75, 100, 150, 200, 250, 500]
SCALE = {"EUR": 1, "PLN": 4, "DKK": 7, "SEK": 10, "CAD": 1.5, "UAH": 40, "GBP": 1, "USD": 1,
         "CHF": 1, "JPY": 150}
# Gifts from abroad, whatever the country: (upper bound of the roll, currency). GBP has no
# rate on purpose (unconverted); the rest of the rolls keep the country's own currency.
ABROAD = [(0.01, "GBP"), (0.04, "EUR"), (0.06, "USD"), (0.07, "CHF"), (0.08, "JPY")]


def _rng(salt: int) -> random.Random:
    """A seeded generator: the same request makes the same data."""
    return random.Random(salt)  # noqa: S311 (demo data, not security)


def synthetic_screening_count() -> int:
    """How many synthetic screenings exist."""
    query = select(func.count(Screening.id)).where(Screening.description == MARKER)
    return db.session.scalar(query) or 0


def synthetic_contribution_count() -> int:
    """How many synthetic contributions exist."""
    return db.session.scalar(
        select(func.count(Contribution.id)).where(Contribution.note == MARKER)
    ) or 0


def _places() -> list[tuple[int, int, str, str, str]]:
    """(collective id, city id, city name, zone, country) for each collective and city it visits."""
    rows = db.session.execute(
        select(Collective.id, Country.code).join(City, Collective.home_city_id == City.id)
        .join(Country).order_by(Collective.id)
    ).all()
    cities = db.session.execute(
        select(City.id, City.name, City.timezone, Country.code).join(Country).order_by(City.id)
    ).all()
    return [(cid, city_id, name, zone, code) for cid, country in rows
            for city_id, name, zone, code in cities if code == country]


def _status(rng: random.Random, past: bool) -> Status:
    """A plausible status for a screening in the past or the future."""
    roll = rng.random()
    if past:
        return Status.HELD if roll < 0.9 else Status.CANCELLED if roll < 0.94 else Status.PUBLISHED
    return (Status.PUBLISHED if roll < 0.8 else Status.SUBMITTED if roll < 0.9
            else Status.DRAFT if roll < 0.95 else Status.CANCELLED)


def generate_screenings(wanted: int, actor: User) -> int:
    """Add synthetic screenings until `wanted` exist; returns how many were added."""
    revisions.touch(revisions.PUBLIC, revisions.LEDGER)  # rows added with core inserts
    have = synthetic_screening_count()
    missing = max(0, wanted - have)
    places = _places()
    if not missing or not places:
        return 0
    rng, now = _rng(have), utcnow()
    today = datetime.now().date()
    films = list(db.session.scalars(select(Film.id).order_by(Film.id)))
    beneficiaries = list(db.session.scalars(select(Beneficiary.id).order_by(Beneficiary.id)))
    stamps = {"created_at": now, "updated_at": now}
    for start in range(have, have + missing, SCREENING_BATCH):
        numbers = range(start + 1, min(start + SCREENING_BATCH, have + missing) + 1)
        chosen = [rng.choice(places) for _ in numbers]
        venue_ids = db.session.scalars(
            insert(Venue).returning(Venue.id, sort_by_parameter_order=True)
            .execution_options(render_nulls=True),
            [{"name": f"Venue {n}", "address": f"Street {n % 300 + 1}, {place[2]}",
              "city_id": place[1], "visibility": rng.choice(list(Visibility)),
              "lat": None, "lon": None, "address_release_at": None, **stamps}
             for n, place in zip(numbers, chosen, strict=True)],
        ).all()
        rows = []
        for n, place, venue_id in zip(numbers, chosen, venue_ids, strict=True):
            local = datetime.combine(today + timedelta(days=rng.randint(-365, 180)),
                                     rng.choice(TIMES), tzinfo=ZoneInfo(place[3]))
            starts_at = local.astimezone(UTC)
            status = _status(rng, starts_at < now)
            listed = status not in (Status.DRAFT, Status.SUBMITTED)
            rows.append({
                "film_id": rng.choice(films), "city_id": place[1], "venue_id": venue_id,
                "starts_at": starts_at, "timezone": place[3], "status": status,
                "title": f"Benchmark screening {n}", "description": MARKER,
                "language": "uk", "subtitles": data.COUNTRIES.get(place[4], ("", ""))[1] or None,
                "cancel_reason": CancelReason.OTHER if status == Status.CANCELLED else None,
                "submitted_at": None if status == Status.DRAFT else starts_at - timedelta(days=30),
                "published_at": starts_at - timedelta(days=29) if listed else None,
                "created_by_id": actor.id, "version_id": 1, **stamps,
            })
        screening_ids = db.session.scalars(
            insert(Screening).returning(Screening.id, sort_by_parameter_order=True)
            .execution_options(render_nulls=True), rows,
        ).all()
        db.session.execute(insert(Fundraiser).execution_options(render_nulls=True), [
            {"screening_id": sid, "beneficiary_id": rng.choice(beneficiaries),
             "purpose": rng.choice(PURPOSES), "goal_amount_minor": None, "goal_currency": None,
             "totals_public": True, **stamps} for sid in screening_ids
        ])
        db.session.execute(insert(screening_hosts), [
            {"screening_id": sid, "collective_id": place[0], **stamps}
            for sid, place in zip(screening_ids, chosen, strict=True)
        ])
    audit.record(actor, "demo.bulk_screenings", None, after={"created": missing})
    db.session.flush()
    return missing


def _targets() -> list[tuple[int, date, bool, str]]:
    """(fundraiser id, screening day in UTC, in the future, currency) of fundraisers taking money.

    The synthetic screenings if there are any, else every listed screening.
    """
    listed = (Status.PUBLISHED, Status.HELD, Status.POSTPONED, Status.RELOCATED)
    query = (
        select(Fundraiser.id, Screening.starts_at, Country.code)
        .join(Screening, Fundraiser.screening_id == Screening.id)
        .join(City, Screening.city_id == City.id).join(Country)
        .where(Screening.status.in_(listed)).order_by(Fundraiser.id)
    )
    rows = db.session.execute(query.where(Screening.description == MARKER)).all()
    rows = rows or db.session.execute(query).all()
    now, today = utcnow(), datetime.now().date()
    return [(fid, min(starts_at.date(), today) if starts_at < now else starts_at.date(),
             starts_at >= now, data.COUNTRIES.get(code, ("EUR", ""))[0])
            for fid, starts_at, code in rows]


class _Converter:
    """Base amounts for contributions, with the stored rates, as ledger.convert computes them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.rates: dict[str, tuple[list[date], list[Decimal]]] = {}
        for currency, valid_on, per_base in db.session.execute(
            select(ExchangeRate.currency, ExchangeRate.valid_on, ExchangeRate.per_base)
            .order_by(ExchangeRate.currency, ExchangeRate.valid_on)
        ):
            days, values = self.rates.setdefault(currency, ([], []))
            days.append(valid_on)
            values.append(per_base)
        self.cache: dict[tuple, int] = {}

    def fields(self, amount_minor: int, currency: str, on: date) -> dict:
        """base_amount_minor, rate_per_base and rate_valid_on (None where no rate applies)."""
        if currency == self.base:
            return {"base_amount_minor": amount_minor, "rate_per_base": 1, "rate_valid_on": None}
        days, values = self.rates.get(currency, ((), ()))
        index = bisect_right(days, on) - 1
        if index < 0:
            return {"base_amount_minor": None, "rate_per_base": None, "rate_valid_on": None}
        key = (amount_minor, currency, index)
        if key not in self.cache:
            self.cache[key] = money.convert_to_base(amount_minor, currency, values[index],
                                                    self.base)
        return {"base_amount_minor": self.cache[key], "rate_per_base": values[index],
                "rate_valid_on": days[index]}


# Past contributions by state: a few pledges still open, the rest collected or passed on.
STATES = list(ContributionState)
STATE_WEIGHTS = [5, 35, 30, 30]
LATER = [timedelta(days=n) for n in range(11)]


def _contribution_rows(rng: random.Random, count: int, targets: list, converter: "_Converter",
                       actor_id: int, today: date) -> list[dict]:
    """`count` rows spread over the fundraisers, channels, states, days and currencies."""
    now, week, sent = utcnow(), timedelta(days=7), STATES[2:]
    gifts = {c: [int(g * s * 10 ** money.exponent(c)) for g in EURO_GIFTS]
             for c, s in SCALE.items()}
    rows = []
    # rng.choices() draws a whole batch at once, much faster than one choice() per row.
    for (fundraiser_id, day, future, currency), channel, state, later, gift in zip(
        rng.choices(targets, k=count), rng.choices(list(Channel), k=count),
        rng.choices(STATES, STATE_WEIGHTS, k=count), rng.choices(LATER, k=count),
        rng.choices(range(len(EURO_GIFTS)), k=count), strict=True,
    ):
        roll = rng.random()
        currency = next((other for bound, other in ABROAD if roll < bound), currency)
        if future:
            state = ContributionState.PLEDGED
        else:
            day = min(day + later, today)
        amount = gifts[currency][gift]
        is_sent = state in sent
        confirmed = state == ContributionState.CONFIRMED
        rows.append({
            "fundraiser_id": fundraiser_id, "amount_minor": amount, "currency": currency,
            "received_on": day, "channel": channel, "state": state,
            "base_currency": converter.base, **converter.fields(amount, currency, day),
            "transfer_reference": f"SYN-{fundraiser_id}-{day.isoformat()}" if is_sent else None,
            "transferred_on": min(day + week, today) if is_sent else None,
            "confirmed_by_id": actor_id if confirmed else None,
            "confirmed_at": now if confirmed else None,
            "recorded_by_id": actor_id, "note": MARKER, "version_id": 1,
            "created_at": now, "updated_at": now,
        })
    return rows


def generate_contributions(wanted: int, actor: User) -> int:
    """Add synthetic contributions until `wanted` exist; returns how many were added."""
    have = synthetic_contribution_count()
    missing = max(0, wanted - have)
    targets = _targets()
    if not missing or not targets:
        return 0
    rng, today = _rng(have), datetime.now().date()
    converter = _Converter(ledger.base_currency())
    for start in range(0, missing, CONTRIBUTION_BATCH):
        count = min(CONTRIBUTION_BATCH, missing - start)
        rows = _contribution_rows(rng, count, targets, converter, actor.id, today)
        # Core INSERT on the table: the ORM bulk path costs a third more per row here.
        db.session.execute(insert(Contribution.__table__), rows)
    ledger.rebuild_days()
    audit.record(actor, "demo.bulk_contributions", None, after={"created": missing})
    db.session.flush()
    return missing
