"""GET /api/v1/totals: the raised total in the base currency, grouped on request; coordinators
see every fundraiser, everyone else only public totals of public screenings."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Status
from app.services import ledger
from tests.conftest import login, make_screening
from tests.test_api_support import (
    API,
    TODAY,
    bearer,
    error_of,
    token_for,
    world,  # noqa: F401  (fixture)
)

URL = f"{API}/totals"
OLD = TODAY - timedelta(days=40)
RECENT = TODAY - timedelta(days=1)


@pytest.fixture
def money(world):  # noqa: F811
    """A: 100 EUR public and 10 PLN unconverted; B: 50 EUR private totals; a draft: 30 EUR."""
    def record(screening, amount, currency="EUR", day=RECENT):
        ledger.record_contribution(screening.fundraiser, world.coordinator, amount=amount,
                                   currency=currency, received_on=day, channel="door")

    record(world.screening_a, "60.00")
    record(world.screening_a, "40.00", day=OLD)
    record(world.screening_a, "10.00", currency="PLN")
    world.screening_b.fundraiser.totals_public = False
    record(world.screening_b, "50.00")
    draft = make_screening(world.a, world.coordinator, Status.DRAFT)
    record(draft, "30.00")
    db.session.commit()
    return world


def get(client, query="", headers=None):
    response = client.get(f"{URL}?{query}", headers=headers or {})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("who", ["anonymous", "organiser_a", "organiser_b"])
def test_everyone_but_coordinators_sees_public_totals_only(client, money, who):
    headers = {} if who == "anonymous" else bearer(token_for(getattr(money, who)))
    body = get(client, "group_by=collective", headers)
    assert set(body) == {"currency", "total", "count", "unconverted", "groups"}
    assert (body["currency"], body["total"], body["count"], body["unconverted"]) == (
        "EUR", "100.00", 3, 1)
    assert body["groups"] == [{"key": "collective-a", "label": "Collective A",
                               "amount": "100.00", "count": 3, "unconverted": 1}]


def test_a_coordinator_sees_every_fundraiser(client, money):
    body = get(client, "group_by=collective", bearer(token_for(money.coordinator)))
    assert (body["total"], body["count"], body["unconverted"]) == ("180.00", 5, 1)
    assert [(g["key"], g["amount"]) for g in body["groups"]] == [
        ("collective-a", "130.00"), ("collective-b", "50.00")]


def test_a_coordinator_by_the_session_cookie_too(client, money):
    login(client, money.coordinator)
    assert get(client)["total"] == "180.00"


@pytest.mark.parametrize("group_by, keys", [
    ("country", ["FI"]), ("film", ["part-one"]), ("beneficiary", ["solidarity-collectives"]),
    ("currency", ["EUR", "PLN"]),
    ("month", [OLD.strftime("%Y-%m"), RECENT.strftime("%Y-%m")]),
])
def test_each_grouping(client, money, group_by, keys):
    body = get(client, f"group_by={group_by}")
    assert [g["key"] for g in body["groups"]] == keys
    assert all(set(g) == {"key", "label", "amount", "count", "unconverted"}
               for g in body["groups"])
    assert sum(g["count"] for g in body["groups"]) == body["count"]


def test_by_city(client, money):
    (group,) = get(client, "group_by=city")["groups"]
    assert (group["label"], group["amount"]) == ("Helsinki, FI", "100.00")


def test_without_group_by_there_are_no_groups(client, money):
    assert get(client)["groups"] == []


def test_filters_narrow_the_figures(client, money):
    coordinator = bearer(token_for(money.coordinator))
    assert get(client, f"from={RECENT.isoformat()}", coordinator)["total"] == "140.00"
    assert get(client, f"to={OLD.isoformat()}", coordinator)["total"] == "40.00"
    assert get(client, f"from={TODAY.isoformat()}", coordinator)["total"] == "0.00"
    assert get(client, "collective=collective-b", coordinator)["total"] == "50.00"
    assert get(client, "collective=collective-b")["total"] == "0.00"  # private to the public
    assert get(client, "country=fi&film=part-one&beneficiary=solidarity-collectives")[
        "total"] == "100.00"


@pytest.mark.parametrize("query, field", [
    ("group_by=planet", "group_by"), ("group_by=Country", "group_by"),
    ("from=2026-02-30", "from"), ("from=yesterday", "from"), ("to=20260101", "to"),
    ("from=2026-05-01&to=2026-04-01", "to"), ("country=ZZ", "country"),
    ("film=no-such-film", "film"), ("beneficiary=nobody", "beneficiary"),
    ("collective=nobody", "collective"), ("collective=" + "x" * 500, "collective"),
])
def test_bad_parameters_answer_400_naming_them(client, money, query, field):
    error = error_of(client.get(f"{URL}?{query}"), 400, "bad_request")
    assert field in error["fields"], error
