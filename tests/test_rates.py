"""Exchange rates: checks, re-conversion of the contributions a change affects, audit."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Channel, Contribution, ExchangeRate, Role, Status
from app.services import ledger, rates
from app.services.errors import ValidationFailed
from tests.conftest import make_collective, make_screening, make_user

TODAY = date(2026, 6, 30)


@pytest.fixture
def coordinator(catalogue):
    return make_user(Role.COORDINATOR)


@pytest.fixture
def fundraiser(catalogue):
    organiser = make_user(Role.ORGANISER, make_collective("kino-kollektiv"))
    screening = make_screening(organiser.memberships[0].collective, actor=organiser,
                               status=Status.PUBLISHED)
    return screening.fundraiser


def _give(fundraiser, amount, currency, received_on, actor):
    contribution = ledger.record_contribution(
        fundraiser, actor, amount=amount, currency=currency, received_on=received_on,
        channel=Channel.DOOR, today=TODAY)
    db.session.commit()
    return contribution


def _base_of(contribution) -> int | None:
    return db.session.scalar(select(Contribution.base_amount_minor)
                             .where(Contribution.id == contribution.id))


def test_a_new_rate_converts_the_contributions_it_now_covers(fundraiser, coordinator):
    early = _give(fundraiser, "400.00", "PLN", date(2026, 3, 31), coordinator)
    later = _give(fundraiser, "400.00", "PLN", date(2026, 4, 12), coordinator)
    assert ledger.totals().unconverted == 2

    _, reconverted = rates.set_rate("PLN", date(2026, 4, 1), "4.0000", coordinator,
                                    today=TODAY)
    db.session.commit()

    assert reconverted == 1
    assert _base_of(early) is None
    assert _base_of(later) == 10000
    totals = ledger.totals()
    assert (totals.base_amount_minor, totals.unconverted) == (10000, 1)
    assert ledger.mismatches() == []


def test_changing_a_rate_reconverts_only_until_the_next_rate(fundraiser, coordinator):
    rates.set_rate("PLN", date(2026, 4, 1), "4.0000", coordinator, today=TODAY)
    rates.set_rate("PLN", date(2026, 5, 1), "5.0000", coordinator, today=TODAY)
    april = _give(fundraiser, "400.00", "PLN", date(2026, 4, 12), coordinator)
    may = _give(fundraiser, "400.00", "PLN", date(2026, 5, 12), coordinator)

    _, reconverted = rates.set_rate("PLN", date(2026, 4, 1), "3.2000", coordinator,
                                    today=TODAY)
    db.session.commit()

    assert reconverted == 1
    assert (_base_of(april), _base_of(may)) == (12500, 8000)
    assert ledger.totals().base_amount_minor == 20500
    assert ledger.mismatches() == []
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rates.set")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.actor_id == coordinator.id
    assert event.after["reconverted"] == 1


def test_deleting_a_rate_falls_back_to_the_one_before(fundraiser, coordinator):
    rates.set_rate("PLN", date(2026, 4, 1), "4.0000", coordinator, today=TODAY)
    may_rate, _ = rates.set_rate("PLN", date(2026, 5, 1), "5.0000", coordinator, today=TODAY)
    may = _give(fundraiser, "400.00", "PLN", date(2026, 5, 12), coordinator)
    assert _base_of(may) == 8000

    assert rates.delete_rate(may_rate, coordinator) == 1
    db.session.commit()

    assert _base_of(may) == 10000
    assert ledger.mismatches() == []


def test_rounding_is_half_even_to_the_base_minor_unit(fundraiser, coordinator):
    rates.set_rate("JPY", date(2026, 4, 1), "8", coordinator, today=TODAY)
    # 1 JPY / 8 = 0.125 EUR -> 0.12 (half to even); 3 JPY / 8 = 0.375 -> 0.38
    one = _give(fundraiser, "1", "JPY", date(2026, 4, 2), coordinator)
    three = _give(fundraiser, "3", "JPY", date(2026, 4, 2), coordinator)
    assert (_base_of(one), _base_of(three)) == (12, 38)


@pytest.mark.parametrize("currency, valid_on, per_base, field", [
    ("PLN", date(2026, 4, 1), "0", "per_base"),
    ("PLN", date(2026, 4, 1), "-4.2", "per_base"),
    ("PLN", date(2026, 4, 1), "NaN", "per_base"),
    ("PLN", date(2026, 4, 1), "Infinity", "per_base"),
    ("PLN", date(2026, 4, 1), "1e3", "per_base"),
    ("PLN", date(2026, 4, 1), "4,2750", "per_base"),
    ("PLN", date(2026, 4, 1), "4.12345678901", "per_base"),
    ("PLN", date(2026, 4, 1), "99999999999", "per_base"),
    ("PLN", date(2026, 4, 1), "", "per_base"),
    ("XYZ", date(2026, 4, 1), "4", "currency"),
    ("EUR", date(2026, 4, 1), "1", "currency"),
    ("PLN", date(2026, 7, 1), "4", "valid_on"),
    ("PLN", None, "4", "valid_on"),
])
def test_bad_rates_are_refused_naming_the_field(coordinator, currency, valid_on, per_base,
                                                 field):
    with pytest.raises(ValidationFailed) as caught:
        rates.set_rate(currency, valid_on, per_base, coordinator, today=TODAY)
    assert field in caught.value.fields
    db.session.rollback()
    assert db.session.scalar(select(ExchangeRate.id)) is None


def test_a_batch_with_one_bad_rate_writes_nothing(coordinator):
    with pytest.raises(ValidationFailed):
        rates.set_rates([("PLN", date(2026, 4, 1), Decimal("4")),
                         ("SEK", date(2026, 4, 1), Decimal("-1"))], coordinator, today=TODAY)
    db.session.rollback()
    assert db.session.scalar(select(ExchangeRate.id)) is None


def test_the_same_rate_again_changes_nothing(coordinator):
    rates.set_rates([("PLN", date(2026, 4, 1), Decimal("4"))], coordinator, today=TODAY)
    again = rates.set_rates([("PLN", date(2026, 4, 1), Decimal("4.000"))], coordinator,
                            today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_a_new_base_currency_is_applied_by_reconverting_everything(
    fundraiser, coordinator, monkeypatch
):
    from flask import current_app
    rates.set_rate("PLN", date(2026, 4, 1), "4.0000", coordinator, today=TODAY)
    _give(fundraiser, "10.00", "EUR", date(2026, 4, 12), coordinator)
    _give(fundraiser, "40.00", "PLN", date(2026, 4, 12), coordinator)
    monkeypatch.setitem(current_app.config, "BASE_CURRENCY", "PLN")
    assert rates.base_mismatch() == 2

    rates.reconvert_all(coordinator)
    db.session.commit()

    # EUR has no rate against PLN yet: counted, not converted; PLN is now 1:1.
    totals = ledger.totals()
    assert (totals.base_currency, totals.base_amount_minor, totals.unconverted) == (
        "PLN", 4000, 1)
    assert rates.base_mismatch() == 0
    assert ledger.mismatches() == []


def test_flask_ledger_check_finds_and_rebuild_repairs_drifted_sums(app, fundraiser,
                                                                    coordinator):
    from sqlalchemy import update

    from app.models import LedgerDay
    _give(fundraiser, "10.00", "EUR", date(2026, 4, 12), coordinator)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ledger", "check"]).exit_code == 0
    db.session.execute(update(LedgerDay).values(amount_minor=LedgerDay.amount_minor + 1))
    db.session.commit()

    drifted = runner.invoke(args=["ledger", "check"])
    assert drifted.exit_code == 1
    assert "1 day sums differ" in drifted.output
    assert runner.invoke(args=["ledger", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["ledger", "check"]).exit_code == 0
