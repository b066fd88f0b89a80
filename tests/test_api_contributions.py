"""POST and GET /api/v1/screenings/{id}/contributions: strict bodies (amounts are strings,
unknown fields refused), the ledger's rules, 404 for other collectives, pagination."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Contribution
from app.services import ledger
from tests.test_api_support import (
    API,
    TODAY,
    YESTERDAY,
    add_rate,
    bearer,
    contribution_body,
    contributions_url,
    error_of,
    token_for,
    world,  # noqa: F401  (fixture)
)

ITEM_KEYS = {"id", "amount", "currency", "received_on", "channel", "state", "base", "rate",
             "transfer_reference", "transferred_on", "confirmed_at", "created_at"}


@pytest.fixture
def token(world):  # noqa: F811
    return token_for(world.organiser_a)


@pytest.fixture
def coordinator_token(world):  # noqa: F811
    return token_for(world.coordinator)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Contribution))


def post(client, world, token, body):  # noqa: F811
    return client.post(contributions_url(world.screening_a), json=body, headers=bearer(token))


# --- recording -----------------------------------------------------------------------------------


def test_a_contribution_in_the_base_currency(client, world, token):  # noqa: F811
    response = post(client, world, token, contribution_body(note="Door bucket",
                                                            transfer_reference="REF-1"))
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert set(item) == ITEM_KEYS
    stored = db.session.scalars(select(Contribution)).one()
    assert item["id"] == stored.id and stored.amount_minor == 12050
    assert stored.recorded_by_id == world.organiser_a.id and stored.note == "Door bucket"
    assert {k: item[k] for k in ("amount", "currency", "received_on", "channel", "state",
                                 "transfer_reference", "transferred_on", "confirmed_at")} == {
        "amount": "120.50", "currency": "EUR", "received_on": YESTERDAY.isoformat(),
        "channel": "door", "state": "collected", "transfer_reference": "REF-1",
        "transferred_on": None, "confirmed_at": None}
    assert item["base"] == {"amount": "120.50", "currency": "EUR"}
    assert item["rate"] == {"per_base": "1", "valid_on": None}
    assert item["created_at"].endswith("+00:00")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "contribution.create")).one()
    assert event.actor_id == world.organiser_a.id and event.object_id == stored.id


def test_a_contribution_converted_at_the_rate_of_its_day(client, world, token):  # noqa: F811
    add_rate("PLN", "4.2750", date(2020, 1, 1))
    add_rate("PLN", "4.0000", YESTERDAY - timedelta(days=1))
    add_rate("PLN", "9.0000", TODAY)  # after the day received: not used
    item = post(client, world, token, contribution_body(amount="120.50", currency="pln")) \
        .get_json()
    # 120.50 / 4 = 30.125, rounded half-even to 30.12.
    assert item["currency"] == "PLN"
    assert item["base"] == {"amount": "30.12", "currency": "EUR"}
    assert item["rate"] == {"per_base": "4",
                            "valid_on": (YESTERDAY - timedelta(days=1)).isoformat()}


def test_without_a_rate_it_is_kept_unconverted(client, world, token):  # noqa: F811
    response = post(client, world, token, contribution_body(amount="1000", currency="UAH"))
    assert response.status_code == 201
    item = response.get_json()
    assert (item["amount"], item["base"], item["rate"]) == ("1000.00", None, None)


@pytest.mark.parametrize("currency, amount, stored", [
    ("JPY", "1500", 1500), ("EUR", "0.01", 1), ("KWD", "1.234", 1234), ("EUR", "7,50", 750),
])
def test_amounts_in_each_currencys_minor_unit(client, world, token, currency, amount,  # noqa: F811
                                              stored):
    response = post(client, world, token, contribution_body(amount=amount, currency=currency))
    assert response.status_code == 201, response.get_json()
    assert db.session.scalars(select(Contribution.amount_minor)).one() == stored


@pytest.mark.parametrize("amount, currency", [
    (120.5, "EUR"), (120, "EUR"), (None, "EUR"), (True, "EUR"), (["1"], "EUR"),
    ("1e3", "EUR"), ("NaN", "EUR"), ("Infinity", "EUR"), ("-5", "EUR"), ("0", "EUR"),
    ("0.00", "EUR"), ("", "EUR"), (" ", "EUR"), ("1,000.00", "EUR"), ("+5", "EUR"),
    ("0x10", "EUR"), ("١٢", "EUR"), ("1.5", "JPY"), ("1.234", "EUR"), ("1.2345", "KWD"),
    ("9" * 16, "EUR"), ("1" * 40, "EUR"),
])
def test_bad_amounts_are_refused_naming_the_field(client, world, token, amount,  # noqa: F811
                                                  currency):
    error = error_of(post(client, world, token,
                          contribution_body(amount=amount, currency=currency)),
                     422, "validation_failed")
    assert set(error["fields"]) == {"amount"}, error
    assert count() == 0


def test_a_number_is_refused_with_a_hint_to_send_a_string(client, world, token):  # noqa: F811
    error = error_of(post(client, world, token, contribution_body(amount=120.5)), 422)
    assert "string" in error["fields"]["amount"]


@pytest.mark.parametrize("currency", ["XYZ", "eu", "EURO", "", 978, None])
def test_unknown_currencies_are_refused(client, world, token, currency):  # noqa: F811
    error = error_of(post(client, world, token, contribution_body(currency=currency)), 422)
    assert "currency" in error["fields"]
    assert count() == 0


@pytest.mark.parametrize("received_on", ["2026-02-30", "12/04/2026", "2026-4-1", 20260412, "",
                                         "2026-04-12T10:00:00", None])
def test_malformed_dates_are_refused(client, world, token, received_on):  # noqa: F811
    error = error_of(post(client, world, token, contribution_body(received_on=received_on)),
                     422)
    assert set(error["fields"]) == {"received_on"}


def test_money_in_hand_cannot_be_dated_in_the_future_but_a_pledge_can(client, world,  # noqa: F811
                                                                      token):
    later = (TODAY + timedelta(days=3)).isoformat()
    error = error_of(post(client, world, token, contribution_body(received_on=later)), 422)
    assert set(error["fields"]) == {"received_on"}
    response = post(client, world, token, contribution_body(received_on=later, state="pledged"))
    assert response.status_code == 201


@pytest.mark.parametrize("field, value", [
    ("base_amount_minor", 1), ("base_currency", "EUR"), ("confirmed_by_id", 1),
    ("confirmed_at", "2026-01-01T00:00:00Z"), ("recorded_by_id", 1), ("fundraiser_id", 1),
    ("amount_minor", 12050), ("id", 5), ("version_id", 9), ("rate_per_base", "1"),
    ("transferred_on", "2026-01-01"), ("created_at", "2026-01-01T00:00:00Z"),
])
def test_mass_assignment_is_refused(client, world, token, field, value):  # noqa: F811
    error = error_of(post(client, world, token, contribution_body(**{field: value})), 422)
    assert error["fields"] == {field: "Unknown field."}
    assert count() == 0


def test_an_organiser_cannot_mark_money_confirmed(client, world, token):  # noqa: F811
    error = error_of(post(client, world, token, contribution_body(state="confirmed")), 422)
    assert set(error["fields"]) == {"state"}
    assert count() == 0


def test_a_coordinator_can_and_the_confirmation_is_stamped(client, world,  # noqa: F811
                                                           coordinator_token):
    response = post(client, world, coordinator_token, contribution_body(state="confirmed"))
    assert response.status_code == 201
    assert response.get_json()["confirmed_at"] is not None
    assert db.session.scalars(select(Contribution)).one().confirmed_by_id == world.coordinator.id


@pytest.mark.parametrize("changes, fields", [
    ({"channel": "pigeon"}, {"channel"}), ({"state": "stolen"}, {"state"}),
    ({"channel": 1}, {"channel"}), ({"note": "x" * 2001}, {"note"}),
    ({"transfer_reference": "x" * 201}, {"transfer_reference"}), ({"note": 5}, {"note"}),
    ({"amount": ..., "currency": ..., "received_on": ..., "channel": ...},
     {"amount", "currency", "received_on", "channel"}),
])
def test_every_problem_is_named_at_once(client, world, token, changes, fields):  # noqa: F811
    error = error_of(post(client, world, token, contribution_body(**changes)), 422)
    assert set(error["fields"]) == fields, error


def test_optional_texts_may_be_null(client, world, token):  # noqa: F811
    response = post(client, world, token, contribution_body(note=None, transfer_reference=None))
    assert response.status_code == 201
    assert response.get_json()["transfer_reference"] is None


def test_another_collectives_screening_is_404_and_nothing_is_written(client, world,  # noqa: F811
                                                                      token):
    url = contributions_url(world.screening_b)
    error_of(client.post(url, json=contribution_body(), headers=bearer(token)), 404)
    error_of(client.get(url, headers=bearer(token)), 404)
    assert count() == 0


# --- listing and pagination ----------------------------------------------------------------------


def _record(world, n: int) -> None:  # noqa: F811
    for number in range(n):
        ledger.record_contribution(
            world.screening_a.fundraiser, world.organiser_a, amount=f"{number + 1}.00",
            currency="EUR", received_on=TODAY - timedelta(days=number + 1), channel="door")
    db.session.commit()


def test_the_list_is_newest_first_with_the_page_envelope(client, world, token):  # noqa: F811
    _record(world, 3)
    # B's money does not leak into A's list.
    ledger.record_contribution(world.screening_b.fundraiser, world.coordinator, amount="99.00",
                               currency="EUR", received_on=TODAY, channel="bar")
    db.session.commit()
    body = client.get(contributions_url(world.screening_a), headers=bearer(token)).get_json()
    assert set(body) == {"items", "page", "pages", "total"}
    assert (body["page"], body["pages"], body["total"]) == (1, 1, 3)
    assert [item["amount"] for item in body["items"]] == ["1.00", "2.00", "3.00"]
    assert all(set(item) == ITEM_KEYS for item in body["items"])


def test_pages(client, world, token):  # noqa: F811
    _record(world, 5)
    url = contributions_url(world.screening_a)

    def get(query):
        response = client.get(f"{url}?{query}", headers=bearer(token))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    body = get("per_page=2&page=2")
    assert ([i["amount"] for i in body["items"]], body["pages"], body["total"]) == (
        ["3.00", "4.00"], 3, 5)
    assert [i["amount"] for i in get("per_page=2&page=3")["items"]] == ["5.00"]
    past = get("per_page=2&page=4")
    assert (past["items"], past["page"], past["pages"], past["total"]) == ([], 4, 3, 5)
    assert len(get("per_page=200")["items"]) == 5
    assert get("")["total"] == 5


def test_an_empty_list(client, world, token):  # noqa: F811
    body = client.get(contributions_url(world.screening_a), headers=bearer(token)).get_json()
    assert body == {"items": [], "page": 1, "pages": 0, "total": 0}


@pytest.mark.parametrize("query, field", [
    ("per_page=201", "per_page"), ("per_page=0", "per_page"), ("per_page=-1", "per_page"),
    ("per_page=abc", "per_page"), ("per_page=", "per_page"), ("per_page=1.5", "per_page"),
    ("page=0", "page"), ("page=-1", "page"), ("page=x", "page"), ("page=1e3", "page"),
    ("page=%EF%BC%91", "page"), ("page=99999999999999999999", "page"), ("page=%2B1", "page"),
])
def test_page_parameters_out_of_bounds_answer_400(client, world, token, query,  # noqa: F811
                                                   field):
    error = error_of(client.get(f"{contributions_url(world.screening_a)}?{query}",
                                headers=bearer(token)), 400, "bad_request")
    assert field in error["fields"]


# --- the money shows in the totals ---------------------------------------------------------------


def test_a_recorded_contribution_shows_in_the_totals(client, world, token):  # noqa: F811
    before = client.get(f"{API}/totals?group_by=collective").get_json()
    assert (before["total"], before["groups"]) == ("0.00", [])
    assert post(client, world, token, contribution_body(amount="120.50")).status_code == 201
    add_rate("PLN", "4.0000")
    assert post(client, world, token, contribution_body(amount="40.00", currency="PLN")) \
        .status_code == 201
    after = client.get(f"{API}/totals?group_by=collective").get_json()
    assert (after["currency"], after["total"], after["count"], after["unconverted"]) == (
        "EUR", "130.50", 2, 0)
    assert after["groups"] == [{"key": "collective-a", "label": "Collective A",
                                "amount": "130.50", "count": 2, "unconverted": 0}]
