"""The money ledger: recording contributions, converting them to the base currency, totals."""

import warnings
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEvent,
    Channel,
    City,
    Contribution,
    ContributionState,
    ExchangeRate,
    Fundraiser,
    Role,
    Status,
)
from app.services import cities, ledger
from app.services.errors import ValidationFailed
from tests.conftest import make_collective, make_screening, make_user

TODAY = date(2026, 6, 30)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _rate(currency: str, valid_on: date, per_base: str) -> ExchangeRate:
    rate = ExchangeRate(currency=currency, valid_on=valid_on, per_base=Decimal(per_base))
    db.session.add(rate)
    db.session.commit()
    return rate


def _record(fundraiser, actor, amount, currency, received_on=date(2026, 4, 12), **kwargs):
    kwargs.setdefault("channel", Channel.DOOR)
    kwargs.setdefault("today", TODAY)
    return ledger.record_contribution(
        fundraiser, actor, amount=amount, currency=currency, received_on=received_on, **kwargs
    )


@pytest.fixture(autouse=True)
def helsinki():
    """Helsinki as a city already in the database (with the gazetteer's id, point and zone)."""
    city = City(name="Helsinki", country=cities.ensure_country("FI"), lat=60.16952,
                lon=24.93545, timezone="Europe/Helsinki", geonames_id=658225)
    db.session.add(city)
    db.session.commit()
    return city


@pytest.fixture
def organiser(catalogue):
    """An organiser of one collective."""
    return make_user(Role.ORGANISER, make_collective("kino-kollektiv"))


@pytest.fixture
def fundraiser(organiser):
    """The fundraiser of a published screening of the organiser's collective."""
    collective = organiser.memberships[0].collective
    return make_screening(collective, actor=organiser, status=Status.PUBLISHED).fundraiser


def test_the_base_currency_comes_from_the_configuration():
    assert current_app.config["BASE_CURRENCY"] == "EUR"
    assert ledger.base_currency() == "EUR"


# --- conversion -------------------------------------------------------------------------


def test_a_contribution_uses_the_latest_rate_valid_on_its_day(fundraiser, organiser):
    _rate("PLN", date(2026, 3, 1), "4.0000")
    _rate("PLN", date(2026, 4, 1), "4.2750")
    _rate("PLN", date(2026, 5, 1), "5.0000")  # later than the contribution: not used
    _rate("SEK", date(2026, 4, 10), "11.0000")  # another currency: not used

    contribution = _record(fundraiser, organiser, "427.50", "PLN", date(2026, 4, 12))

    assert contribution.amount_minor == 42750
    assert contribution.currency == "PLN"
    assert contribution.base_currency == "EUR"
    assert contribution.base_amount_minor == 10000  # 427.50 / 4.275 = 100.00
    assert contribution.rate_per_base == Decimal("4.2750")
    assert contribution.rate_valid_on == date(2026, 4, 1)


def test_the_stored_conversion_survives_a_reload(fundraiser, organiser):
    _rate("PLN", date(2026, 4, 1), "4.2750")
    contribution_id = _record(fundraiser, organiser, "427.50", "PLN").id
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Contribution, contribution_id)
    assert stored.base_amount_minor == 10000
    assert stored.rate_per_base == Decimal("4.2750")
    assert stored.rate_valid_on == date(2026, 4, 1)
    assert stored.base_currency == "EUR"
    assert stored.channel is Channel.DOOR
    assert stored.state is ContributionState.COLLECTED
    assert stored.recorded_by_id == organiser.id


def test_a_rate_valid_from_the_same_day_is_used(fundraiser, organiser):
    _rate("PLN", date(2026, 4, 1), "4.0000")
    _rate("PLN", date(2026, 4, 12), "5.0000")
    contribution = _record(fundraiser, organiser, "100.00", "PLN", date(2026, 4, 12))
    assert contribution.base_amount_minor == 2000
    assert contribution.rate_valid_on == date(2026, 4, 12)


def test_a_rate_from_the_next_day_is_not_used(fundraiser, organiser):
    _rate("PLN", date(2026, 4, 13), "4.0000")
    contribution = _record(fundraiser, organiser, "100.00", "PLN", date(2026, 4, 12))
    assert contribution.base_amount_minor is None
    assert contribution.rate_per_base is None
    assert contribution.rate_valid_on is None


def test_rate_for_picks_the_latest_rate_not_after_the_day():
    _rate("UAH", date(2026, 1, 1), "45")
    _rate("UAH", date(2026, 2, 1), "46")
    _rate("UAH", date(2026, 3, 1), "47")
    assert ledger.rate_for("UAH", date(2026, 2, 15)).per_base == Decimal("46")
    assert ledger.rate_for("UAH", date(2026, 3, 1)).per_base == Decimal("47")
    assert ledger.rate_for("UAH", date(2025, 12, 31)) is None
    assert ledger.rate_for("PLN", date(2026, 3, 1)) is None


def test_conversion_rounds_half_even_to_the_base_minor_unit(fundraiser, organiser):
    _rate("PLN", date(2026, 4, 1), "8")
    down = _record(fundraiser, organiser, "1.00", "PLN")  # 0.125 EUR
    up = _record(fundraiser, organiser, "3.00", "PLN")  # 0.375 EUR
    assert (down.base_amount_minor, up.base_amount_minor) == (12, 38)


def test_a_currency_without_decimals_converts(fundraiser, organiser):
    _rate("JPY", date(2026, 4, 1), "160")
    contribution = _record(fundraiser, organiser, "16000", "JPY")
    assert contribution.amount_minor == 16000
    assert contribution.base_amount_minor == 10000


def test_a_base_currency_contribution_converts_one_to_one(fundraiser, organiser):
    _rate("EUR", date(2026, 4, 1), "2")  # nonsense rate for the base itself: ignored
    contribution = _record(fundraiser, organiser, "120.50", "eur")
    assert contribution.currency == "EUR"
    assert contribution.amount_minor == 12050
    assert contribution.base_amount_minor == 12050
    assert contribution.base_currency == "EUR"
    assert contribution.rate_per_base == 1


def test_a_contribution_without_a_rate_is_kept_unconverted(fundraiser, organiser):
    contribution = _record(fundraiser, organiser, "1000.00", "UAH")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Contribution, contribution.id)
    assert stored.amount_minor == 100000
    assert stored.currency == "UAH"
    assert stored.base_amount_minor is None
    assert stored.rate_per_base is None
    assert stored.rate_valid_on is None


def test_recording_a_converted_contribution_raises_no_warning(fundraiser, organiser):
    """Regression: the rate query once autoflushed a Contribution not yet in the session."""
    _rate("PLN", date(2026, 4, 1), "4.2750")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        contribution = _record(fundraiser, organiser, "427.50", "PLN")
    assert contribution.base_amount_minor == 10000


def test_record_contribution_flushes_but_does_not_commit(fundraiser, organiser):
    contribution = _record(fundraiser, organiser, "10.00", "EUR")
    assert contribution.id is not None
    db.session.rollback()
    assert _count(Contribution) == 0


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, fields",
    [
        ({"amount": ""}, {"amount"}),
        ({"amount": "abc"}, {"amount"}),
        ({"amount": "0"}, {"amount"}),
        ({"amount": "0.00"}, {"amount"}),
        ({"amount": "-5.00"}, {"amount"}),
        ({"amount": "12.345"}, {"amount"}),
        ({"amount": "1e5"}, {"amount"}),
        ({"amount": "1,234.50"}, {"amount"}),
        ({"currency": "XYZ"}, {"currency"}),
        ({"currency": ""}, {"currency"}),
        ({"currency": "eu"}, {"currency"}),
        ({"channel": "carrier_pigeon"}, {"channel"}),
        ({"channel": ""}, {"channel"}),
        ({"state": "stolen"}, {"state"}),
        ({"received_on": date(2026, 7, 1)}, {"received_on"}),
        ({"received_on": date(2026, 7, 1), "state": "transferred"}, {"received_on"}),
        # An organiser: the future date, and confirming is a coordinator's to do.
        ({"received_on": date(2026, 7, 1), "state": "confirmed"}, {"received_on", "state"}),
        (
            {"amount": "-1", "channel": "pigeon", "state": "lost",
             "received_on": date(2027, 1, 1)},
            {"amount", "channel", "state", "received_on"},
        ),
        ({"currency": "XYZ", "channel": "pigeon"}, {"currency", "channel"}),
    ],
)
def test_bad_input_comes_back_as_field_errors_and_writes_nothing(
    fundraiser, organiser, changes, fields
):
    values = {"amount": "120.50", "currency": "PLN", "received_on": date(2026, 4, 12),
              "channel": "door", "state": "collected"}
    values.update(changes)
    audits_before = _count(AuditEvent)

    with pytest.raises(ValidationFailed) as excinfo:
        ledger.record_contribution(fundraiser, organiser, today=TODAY, **values)

    assert set(excinfo.value.fields) == fields
    assert all(excinfo.value.fields.values())  # every field has a message
    db.session.flush()
    assert _count(Contribution) == 0
    assert _count(AuditEvent) == audits_before


def test_collected_money_dated_today_is_accepted(fundraiser, organiser):
    contribution = _record(fundraiser, organiser, "5.00", "EUR", TODAY)
    assert contribution.received_on == TODAY


def test_a_pledge_may_be_dated_in_the_future(fundraiser, organiser):
    contribution = _record(
        fundraiser, organiser, "250.00", "EUR", date(2026, 9, 1), state="pledged"
    )
    assert contribution.state is ContributionState.PLEDGED
    assert contribution.received_on == date(2026, 9, 1)
    assert _count(Contribution) == 1


def test_money_collected_today_where_the_screening_is_may_be_recorded(request, catalogue):
    """After a late screening east of the server, the organiser's "today" is the server's
    tomorrow: that date is not in the future for them.

    The case bites only while the two dates differ (14 hours a day for Kiritimati, UTC+14).
    """
    kiritimati = City(name="Kiritimati", country=cities.ensure_country("KI"), lat=1.87,
                      lon=-157.43, timezone="Pacific/Kiritimati")
    db.session.add(kiritimati)
    db.session.commit()
    collective = make_collective("line-islands")
    organiser = make_user(Role.ORGANISER, collective)
    fundraiser = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                                city="Kiritimati", country="KI").fundraiser
    local_today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    contribution = ledger.record_contribution(
        fundraiser, organiser, amount="10.00", currency="EUR", received_on=local_today,
        channel="door",
    )
    assert contribution.received_on == local_today


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_is_accepted_by_value(fundraiser, organiser, channel):
    contribution = _record(fundraiser, organiser, "1.00", "EUR", channel=channel.value)
    assert contribution.channel is channel


# --- audit ---------------------------------------------------------------------------------


def test_recording_a_contribution_writes_an_audit_event(fundraiser, organiser):
    _rate("PLN", date(2026, 4, 1), "4.2750")
    contribution = _record(fundraiser, organiser, "427.50", "PLN")
    db.session.commit()

    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "contribution.create")
    )
    assert event is not None
    assert event.actor_id == organiser.id
    assert event.object_type == "contribution"
    assert event.object_id == contribution.id
    assert event.after == {"amount": "427.50", "currency": "PLN", "state": "collected",
                           "base_amount_minor": 10000}


# --- totals --------------------------------------------------------------------------------


def test_totals_sum_per_currency_and_in_the_base_currency(fundraiser, organiser):
    _rate("PLN", date(2026, 4, 1), "4.0000")
    _record(fundraiser, organiser, "100.00", "EUR")
    _record(fundraiser, organiser, "20.50", "EUR")
    _record(fundraiser, organiser, "400.00", "PLN")  # 100.00 EUR
    _record(fundraiser, organiser, "40.00", "PLN")  # 10.00 EUR
    _record(fundraiser, organiser, "1000.00", "UAH")  # no rate: unconverted
    _record(fundraiser, organiser, "500.00", "UAH")  # no rate: unconverted
    db.session.commit()

    totals = ledger.totals()

    assert totals.base_currency == "EUR"
    assert totals.base_amount_minor == 12050 + 11000
    assert totals.unconverted == 2
    assert totals.count == 6
    assert totals.by_currency == [
        ledger.CurrencyTotal("EUR", 12050, 2, 12050, 0),
        ledger.CurrencyTotal("PLN", 44000, 2, 11000, 0),
        ledger.CurrencyTotal("UAH", 150000, 2, 0, 2),
    ]
    for row in totals.by_currency:
        assert all(type(value) is int for value in (row.amount_minor, row.count,
                                                    row.base_amount_minor, row.unconverted))


def test_unconverted_money_is_never_added_to_the_base_total(fundraiser, organiser):
    _record(fundraiser, organiser, "999999.00", "UAH")
    totals = ledger.totals()
    assert totals.base_amount_minor == 0
    assert totals.unconverted == 1
    assert totals.by_currency == [ledger.CurrencyTotal("UAH", 99999900, 1, 0, 1)]


def test_totals_of_nothing_are_zero():
    totals = ledger.totals()
    assert (totals.base_currency, totals.base_amount_minor, totals.unconverted, totals.count,
            totals.by_currency) == ("EUR", 0, 0, 0, [])
    assert set(totals.by_state.values()) == {0}


def test_money_converted_to_another_base_counts_as_unconverted(
    fundraiser, organiser, monkeypatch
):
    _record(fundraiser, organiser, "10.00", "EUR")
    monkeypatch.setitem(current_app.config, "BASE_CURRENCY", "PLN")
    _record(fundraiser, organiser, "40.00", "PLN")
    # The sums kept per day were made in EUR; rebuilding them reads the stored base amounts.
    ledger.rebuild_days()

    totals = ledger.totals()
    assert totals.base_currency == "PLN"
    assert totals.base_amount_minor == 4000
    assert totals.unconverted == 1


def _second_collective_fundraiser(totals_public: bool = True) -> tuple[Fundraiser, object]:
    other = make_collective("other-collective")
    organiser = make_user(Role.ORGANISER, other)
    fundraiser = make_screening(other, actor=organiser, status=Status.PUBLISHED).fundraiser
    fundraiser.totals_public = totals_public
    db.session.commit()
    return fundraiser, organiser


def test_totals_can_be_limited_to_some_collectives(fundraiser, organiser):
    other_fundraiser, other_organiser = _second_collective_fundraiser()
    _record(fundraiser, organiser, "10.00", "EUR")
    _record(other_fundraiser, other_organiser, "25.00", "EUR")
    _record(other_fundraiser, other_organiser, "30.00", "UAH")
    db.session.commit()
    mine = organiser.memberships[0].collective_id
    theirs = other_organiser.memberships[0].collective_id

    assert ledger.totals(collective_ids={mine}).base_amount_minor == 1000
    assert ledger.totals(collective_ids={mine}).count == 1
    assert ledger.totals(collective_ids={theirs}).base_amount_minor == 2500
    assert ledger.totals(collective_ids={theirs}).unconverted == 1
    assert ledger.totals(collective_ids={mine, theirs}).base_amount_minor == 3500
    assert ledger.totals(collective_ids=set()).count == 0
    assert ledger.totals().count == 3


def test_a_screening_with_several_hosts_is_counted_once(fundraiser, organiser):
    other = make_collective("co-host")
    fundraiser.screening.collectives.append(other)
    db.session.commit()
    _record(fundraiser, organiser, "10.00", "EUR")
    mine = organiser.memberships[0].collective_id
    assert ledger.totals(collective_ids={mine, other.id}).base_amount_minor == 1000
    assert ledger.totals(collective_ids={other.id}).base_amount_minor == 1000


def test_public_totals_leave_out_fundraisers_whose_totals_are_private(fundraiser, organiser):
    private_fundraiser, other_organiser = _second_collective_fundraiser(totals_public=False)
    _record(fundraiser, organiser, "10.00", "EUR")
    _record(private_fundraiser, other_organiser, "500.00", "EUR")
    _record(private_fundraiser, other_organiser, "50.00", "UAH")

    public = ledger.totals(public_only=True)
    assert public.base_amount_minor == 1000
    assert public.count == 1
    assert public.unconverted == 0
    assert [row.currency for row in public.by_currency] == ["EUR"]
    everything = ledger.totals()
    assert everything.base_amount_minor == 51000
    assert everything.unconverted == 1
    private_collective = other_organiser.memberships[0].collective_id
    assert ledger.totals(collective_ids={private_collective}, public_only=True).count == 0
    assert ledger.totals(collective_ids={private_collective}).count == 2


def test_totals_for_one_fundraiser(fundraiser, organiser):
    other_fundraiser, other_organiser = _second_collective_fundraiser()
    _record(fundraiser, organiser, "10.00", "EUR")
    _record(other_fundraiser, other_organiser, "20.00", "EUR")
    assert ledger.totals_for_fundraiser(fundraiser.id).base_amount_minor == 1000
    assert ledger.totals_for_fundraiser(other_fundraiser.id).base_amount_minor == 2000


def test_raised_by_fundraiser_gives_base_amount_and_unconverted_count(fundraiser, organiser):
    other_fundraiser, other_organiser = _second_collective_fundraiser()
    _rate("PLN", date(2026, 4, 1), "4")
    _record(fundraiser, organiser, "10.00", "EUR")
    _record(fundraiser, organiser, "40.00", "PLN")
    _record(fundraiser, organiser, "100.00", "UAH")
    _record(other_fundraiser, other_organiser, "7.00", "UAH")

    raised = ledger.raised_by_fundraiser([fundraiser.id, other_fundraiser.id, 999999])
    assert raised == {fundraiser.id: (2000, 1), other_fundraiser.id: (0, 1)}
    assert all(type(n) is int for pair in raised.values() for n in pair)
    assert ledger.raised_by_fundraiser([]) == {}


def test_contributions_of_lists_oldest_first(fundraiser, organiser):
    later = _record(fundraiser, organiser, "1.00", "EUR", date(2026, 5, 1))
    earlier = _record(fundraiser, organiser, "2.00", "EUR", date(2026, 4, 1))
    assert ledger.contributions_of(fundraiser.id) == [earlier, later]
