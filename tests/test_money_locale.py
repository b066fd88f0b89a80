"""Amounts typed the way people write them in their locale, and shown in the reader's locale."""

from datetime import date

import pytest

from app.extensions import db
from app.models import Channel, ContributionState, Role, Status
from app.services import ledger, money
from app.services.errors import ValidationFailed
from tests.conftest import login, make_collective, make_screening, make_user

TODAY = date(2026, 6, 30)


@pytest.mark.parametrize("text, currency, locale, minor", [
    ("1.234,50", "EUR", "it", 123450),
    ("1 234,50", "EUR", "fr", 123450),
    ("1\u202f234,50", "EUR", "fr", 123450),
    ("1\u00a0234,50", "UAH", "uk", 123450),
    ("1 234,50", "PLN", "pl", 123450),
    ("1,234.50", "EUR", "en", 123450),
    ("1,234.50", "CAD", "en_CA", 123450),
    ("1.234.567,89", "EUR", "de", 123456789),
    ("1\u2019234.50", "CHF", "de_CH", 123450),
    ("12,5", "SEK", "sv", 1250),
    ("1.234", "JPY", "it", 1234),
    ("1,234", "JPY", "en", 1234),
    ("1234.50", "EUR", "it", 123450),   # the plain form is understood everywhere
    ("12,50", "EUR", "en", 1250),       # cannot be grouping in English: a decimal comma
    ("0,125", "KWD", "it", 125),
])
def test_amounts_are_read_as_written_in_the_locale(text, currency, locale, minor):
    assert money.parse(text, currency, locale) == minor


@pytest.mark.parametrize("text, currency, locale, message", [
    ("1.234", "KWD", "it", "could mean 1.234 or 1234.000 KWD"),
    ("1,234", "KWD", "en", "could mean 1.234 or 1234.000 KWD"),
    ("1,234.50", "EUR", "it", "Enter the amount as digits, e.g. 1.234,50"),
    ("1.234,50", "EUR", "en", "Enter the amount as digits, e.g. 1,234.50"),
    ("1.23.4", "EUR", "it", "Enter the amount as digits"),
    ("12.345", "EUR", "en", "2 decimal places at most"),
    ("1,5", "JPY", "de", "no decimal places"),
    ("-1.234,50", "EUR", "it", "negative"),
    ("\u22121", "EUR", "en", "negative"),
    ("1e3", "EUR", "de", "Enter the amount as digits"),
    ("NaN", "EUR", "fr", "Enter the amount as digits"),
    ("\u0661\u0662", "EUR", "en", "Enter the amount as digits"),
    ("\u0661\u0662", "EUR", None, "Enter the amount as digits"),
    ("9" * 16, "EUR", "it", "too large"),
    ("1 2 3", "EUR", "en", "Enter the amount as digits"),
])
def test_malformed_or_ambiguous_amounts_are_refused_with_a_reason(text, currency, locale,
                                                                  message):
    with pytest.raises(money.MoneyError, match=message):
        money.parse(text, currency, locale)


@pytest.mark.parametrize("currency, minor, locale", [
    ("EUR", 123450, "it"), ("KWD", 1234000, "it"), ("KWD", 1234, "en"), ("JPY", 1234, "fr"),
    ("UAH", 99, "uk"), ("SEK", 100000, "sv"),
])
def test_a_prefilled_amount_reads_back_the_same(currency, minor, locale):
    assert money.parse(money.format_input(minor, currency, locale), currency, locale) == minor


@pytest.fixture
def screening(catalogue):
    organiser = make_user(Role.ORGANISER, make_collective("kino-kollektiv"))
    item = make_screening(organiser.memberships[0].collective, actor=organiser,
                          status=Status.PUBLISHED)
    return item, organiser


def test_the_contribution_form_reads_the_browsers_locale(client, screening):
    item, organiser = screening
    login(client, organiser)
    response = client.post(
        f"/organiser/screenings/{item.id}/contributions/new",
        data={"amount": "1.234,50", "currency": "EUR", "received_on": "2026-04-12",
              "channel": "door", "state": "collected"},
        headers={"Accept-Language": "it-IT,it;q=0.9"},
    )
    assert response.status_code == 302
    assert ledger.totals().base_amount_minor == 123450


def test_the_same_text_in_english_is_refused_with_a_field_error(client, screening):
    item, organiser = screening
    login(client, organiser)
    response = client.post(
        f"/organiser/screenings/{item.id}/contributions/new",
        data={"amount": "1.234,50", "currency": "EUR", "received_on": "2026-04-12",
              "channel": "door", "state": "collected"},
        headers={"Accept-Language": "en-GB"},
    )
    assert response.status_code == 422
    assert "e.g. 1,234.50" in response.get_data(as_text=True)
    assert ledger.totals().count == 0


def test_amounts_are_shown_in_the_readers_locale(client, screening):
    item, organiser = screening
    ledger.record_contribution(item.fundraiser, organiser, amount="1234.50", currency="EUR",
                               received_on=date(2026, 4, 12), channel=Channel.DOOR,
                               today=TODAY)
    db.session.commit()
    login(client, organiser)
    italian = client.get(f"/organiser/screenings/{item.id}",
                         headers={"Accept-Language": "it"}).get_data(as_text=True)
    english = client.get(f"/organiser/screenings/{item.id}",
                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1.234,50\u00a0€" in italian
    assert "€1,234.50" in english


# --- the transfer date ---------------------------------------------------------------------


def _record(screening_and_user, **changes):
    item, organiser = screening_and_user
    values = {"amount": "10.00", "currency": "EUR", "received_on": date(2026, 4, 12),
              "channel": Channel.BANK_TRANSFER, "today": TODAY}
    values.update(changes)
    return ledger.record_contribution(item.fundraiser, organiser, **values)


def test_money_marked_transferred_gets_todays_date_unless_given(screening):
    assert _record(screening, state=ContributionState.TRANSFERRED).transferred_on == TODAY
    given = _record(screening, state=ContributionState.TRANSFERRED,
                    transferred_on=date(2026, 4, 20))
    assert given.transferred_on == date(2026, 4, 20)
    assert _record(screening, state=ContributionState.COLLECTED).transferred_on is None


@pytest.mark.parametrize("changes, message", [
    ({"state": ContributionState.COLLECTED, "transferred_on": date(2026, 4, 20)},
     "Only money sent on"),
    ({"state": ContributionState.TRANSFERRED, "transferred_on": date(2026, 7, 1)},
     "cannot be in the future"),
    ({"state": ContributionState.TRANSFERRED, "transferred_on": date(2026, 4, 1)},
     "before it came in"),
])
def test_impossible_transfer_dates_are_refused(screening, changes, message):
    with pytest.raises(ValidationFailed) as caught:
        _record(screening, **changes)
    assert message in caught.value.fields["transferred_on"]


def test_an_edit_keeps_the_transfer_date_unless_changed(screening):
    _item, organiser = screening
    contribution = _record(screening, state=ContributionState.TRANSFERRED,
                           transferred_on=date(2026, 4, 20), transfer_reference="REF-1")
    db.session.commit()
    ledger.update_contribution(
        contribution, organiser, version=contribution.version_id, amount="10.00",
        currency="EUR", received_on=date(2026, 4, 12), channel=Channel.BANK_TRANSFER,
        state=ContributionState.TRANSFERRED, transfer_reference="REF-2", today=TODAY)
    assert contribution.transferred_on == date(2026, 4, 20)
