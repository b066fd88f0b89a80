"""GET and POST /api/v1/rates: any account reads the rates, coordinators set them (strings,
greater than zero, at most 10 places), and the affected contributions are re-converted."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Contribution, ExchangeRate
from app.services import ledger
from tests.test_api_support import (
    API,
    TODAY,
    add_rate,
    bearer,
    error_of,
    token_for,
    world,  # noqa: F401  (fixture)
)

URL = f"{API}/rates"


@pytest.fixture
def coordinator(world):  # noqa: F811
    return token_for(world.coordinator)


def rate_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ExchangeRate))


def body(**changes) -> dict:
    values = {"currency": "PLN", "valid_on": "2024-04-01", "per_base": "4.2750"}
    values.update(changes)
    return values


# --- reading -------------------------------------------------------------------------------------


def test_any_account_reads_the_rates_newest_first(client, world):  # noqa: F811
    add_rate("PLN", "4.30", date(2024, 1, 1))
    add_rate("UAH", "44.5", date(2024, 3, 1))
    add_rate("PLN", "4.2750", date(2024, 4, 1))
    response = client.get(URL, headers=bearer(token_for(world.organiser_b)))
    assert response.status_code == 200
    listing = response.get_json()
    assert (listing["total"], listing["pages"]) == (3, 1)
    assert [(r["currency"], r["valid_on"], r["per_base"]) for r in listing["items"]] == [
        ("PLN", "2024-04-01", "4.275"), ("UAH", "2024-03-01", "44.5"),
        ("PLN", "2024-01-01", "4.3")]
    assert set(listing["items"][0]) == {"id", "currency", "valid_on", "per_base", "source",
                                        "created_at"}
    only = client.get(f"{URL}?currency=pln&per_page=1&page=2",
                      headers=bearer(token_for(world.organiser_a))).get_json()
    assert ([r["valid_on"] for r in only["items"]], only["total"], only["pages"]) == (
        ["2024-01-01"], 2, 2)


@pytest.mark.parametrize("query", ["currency=XYZ", "currency=euro", "currency=" + "A" * 300])
def test_an_unknown_currency_filter_answers_400(client, world, query):  # noqa: F811
    error = error_of(client.get(f"{URL}?{query}", headers=bearer(token_for(world.organiser_a))),
                     400, "bad_request")
    assert set(error["fields"]) == {"currency"}


# --- setting -------------------------------------------------------------------------------------


def test_a_coordinator_sets_a_rate_and_money_is_reconverted(client, world, coordinator):  # noqa: F811
    ledger.record_contribution(world.screening_a.fundraiser, world.organiser_a, amount="85.50",
                               currency="PLN", received_on=TODAY - timedelta(days=1),
                               channel="door")
    db.session.commit()
    assert client.get(f"{API}/totals", headers=bearer(coordinator)).get_json()["unconverted"] == 1

    response = client.post(URL, json=body(valid_on=(TODAY - timedelta(days=10)).isoformat()),
                           headers=bearer(coordinator))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["reconverted"] == 1
    assert (answer["rate"]["currency"], answer["rate"]["per_base"], answer["rate"]["source"]) \
        == ("PLN", "4.275", "api")
    stored = db.session.scalars(select(Contribution)).one()
    assert stored.base_amount_minor == 2000  # 85.50 / 4.2750 = 20.00
    totals = client.get(f"{API}/totals", headers=bearer(coordinator)).get_json()
    assert (totals["total"], totals["unconverted"]) == ("20.00", 0)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rates.set")) \
        .one().actor_id == world.coordinator.id

    # The same day again replaces the rate, and converts again.
    response = client.post(URL, json=body(valid_on=(TODAY - timedelta(days=10)).isoformat(),
                                          per_base="4.5"), headers=bearer(coordinator))
    assert response.status_code == 201
    assert response.get_json()["reconverted"] == 1
    assert rate_count() == 1
    assert db.session.scalars(select(ExchangeRate.per_base)).one() == Decimal("4.5")


def test_the_base_amount_follows_the_contributions_day(client, world, coordinator):  # noqa: F811
    response = client.post(URL, json=body(valid_on=TODAY.isoformat()),
                           headers=bearer(coordinator))
    assert response.status_code == 201
    assert response.get_json()["reconverted"] == 0  # nothing received since today


@pytest.mark.parametrize("changes, field", [
    ({"per_base": 4.275}, "per_base"), ({"per_base": 4}, "per_base"),
    ({"per_base": "0"}, "per_base"), ({"per_base": "0.0000"}, "per_base"),
    ({"per_base": "-4.2"}, "per_base"), ({"per_base": "1.12345678901"}, "per_base"),
    ({"per_base": "1e3"}, "per_base"), ({"per_base": "NaN"}, "per_base"),
    ({"per_base": "abc"}, "per_base"), ({"per_base": ""}, "per_base"),
    ({"per_base": "12345678901"}, "per_base"), ({"per_base": "4,275"}, "per_base"),
    ({"currency": "EUR"}, "currency"), ({"currency": "XYZ"}, "currency"),
    ({"currency": 985}, "currency"),
    ({"valid_on": (TODAY + timedelta(days=1)).isoformat()}, "valid_on"),
    ({"valid_on": "2024-13-01"}, "valid_on"), ({"valid_on": 20240401}, "valid_on"),
    ({"entered_by_id": 1}, "entered_by_id"), ({"source": "import"}, "source"),
    ({"id": 3}, "id"),
])
def test_bad_rates_are_refused_naming_the_field(client, world, coordinator, changes,  # noqa: F811
                                                field):
    error = error_of(client.post(URL, json=body(**changes), headers=bearer(coordinator)), 422,
                     "validation_failed")
    assert field in error["fields"], error
    assert rate_count() == 0


def test_ten_decimal_places_are_accepted(client, world, coordinator):  # noqa: F811
    response = client.post(URL, json=body(per_base="0.0000000001"), headers=bearer(coordinator))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["rate"]["per_base"] == "0.0000000001"


@pytest.mark.parametrize("who", ["organiser_a", "organiser_b"])
def test_organisers_may_not_set_rates(client, world, who):  # noqa: F811
    error_of(client.post(URL, json=body(), headers=bearer(token_for(getattr(world, who)))),
             403, "forbidden")
    assert rate_count() == 0
