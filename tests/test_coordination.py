"""The coordination pages: who may enter, the tour's totals by currency, approving screenings."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import City, Country, ExchangeRate, Role, Screening, Status
from app.services import ledger, money
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page, visible_text


@pytest.fixture(autouse=True)
def helsinki():
    """Helsinki already known, so that no test searches the whole gazetteer."""
    db.session.add(City(name="Helsinki", country=Country(code="FI", name="Finland"),
                        lat=60.16952, lon=24.93545, timezone="Europe/Helsinki",
                        geonames_id=658225))
    db.session.commit()


@pytest.fixture
def collective(catalogue):
    return make_collective("kino-kollektiv")


@pytest.fixture
def coordinator():
    return make_user(Role.COORDINATOR)


@pytest.fixture
def coordinator_client(client, coordinator):
    login(client, coordinator)
    return client


def local(days: int, hour: int = 19) -> datetime:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


def card_titles(response) -> list[str]:
    return re.findall(r'<h3 class="card-title">\s*<a href="[^"]*">([^<]*)</a>',
                      response.get_data(as_text=True))


# --- who may enter -------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/coordination/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_organisers_get_403(client, collective):
    login(client, make_user(Role.ORGANISER, collective, admin_of_collective=True))
    response = client.get("/coordination/")
    assert response.status_code == 403
    assert "Not allowed" in page(response)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_may_enter(client, role):
    login(client, make_user(role))
    response = client.get("/coordination/")
    assert response.status_code == 200
    assert "Raised on the tour" in page(response)


# --- totals ----------------------------------------------------------------------------------


def test_empty_tour_shows_zero(coordinator_client):
    shown = visible_text(coordinator_client.get("/coordination/"))
    assert "€0.00" in shown
    assert "0 contributions." in shown
    assert "Nothing waiting." in shown


def test_totals_in_euros_with_subtotals_per_currency(coordinator_client, collective,
                                                     coordinator):
    db.session.add(ExchangeRate(currency="PLN", valid_on=date.today() - timedelta(days=30),
                                per_base=Decimal("4.0000")))
    db.session.commit()
    other = make_collective("other-collective")
    first = make_screening(collective, coordinator, Status.HELD, starts_at=local(-5))
    second = make_screening(other, coordinator, Status.HELD, starts_at=local(-4))
    yesterday = date.today() - timedelta(days=1)
    for screening, amount, currency in [(first, "10.50", "EUR"), (first, "100.00", "PLN"),
                                        (second, "40", "PLN"), (second, "50", "SEK")]:
        ledger.record_contribution(screening.fundraiser, coordinator, amount=amount,
                                   currency=currency, received_on=yesterday, channel="door")
    db.session.commit()

    shown = visible_text(coordinator_client.get("/coordination/"))
    # 10.50 EUR + 140 PLN at 4 PLN per EUR = 10.50 + 35.00; the SEK has no rate.
    assert "Raised on the tour €45.50" in shown
    assert "4 contributions; 1 not converted to EUR" in shown
    assert "EUR €10.50 1 €10.50" in shown
    assert f"PLN {money.format_display(14000, 'PLN')} 2 €35.00" in shown
    # The SEK row counts its contribution as not converted and adds nothing in euros.
    sek = re.escape(f"SEK {money.format_display(5000, 'SEK')} 1 ")
    assert re.search(sek + r"(—|€0\.00) 1 ", shown)


# --- approval queue ---------------------------------------------------------------------------


def test_queue_lists_submitted_screenings_only(coordinator_client, collective, coordinator):
    make_screening(collective, coordinator, Status.SUBMITTED, title="Waiting one")
    make_screening(collective, coordinator, Status.DRAFT, title="Draft one")
    make_screening(collective, coordinator, Status.PUBLISHED, title="Published one")
    shown = visible_text(coordinator_client.get("/coordination/"))
    assert "Waiting for approval (1)" in shown
    assert "Waiting one" in shown
    assert "Draft one" not in shown
    assert "Published one" not in shown


def test_publishing_a_submitted_screening_makes_it_public(client, coordinator_client,
                                                          collective, coordinator):
    screening = make_screening(collective, coordinator, Status.SUBMITTED, title="Waiting one")
    assert card_titles(client.get("/")) == []

    response = coordinator_client.post(f"/coordination/screenings/{screening.id}/publish")
    assert response.status_code == 302
    assert response.headers["Location"] == "/coordination/"
    after = visible_text(coordinator_client.get("/coordination/"))
    assert "Published: Waiting one in Helsinki." in after
    assert "Waiting for approval (0)" in after
    assert screening.status == Status.PUBLISHED
    assert screening.published_at is not None

    coordinator_client.post("/logout")
    assert card_titles(client.get("/")) == ["Waiting one"]


@pytest.mark.parametrize("member", [True, False], ids=["host-member", "outsider"])
def test_organisers_cannot_publish(client, collective, coordinator, member):
    screening = make_screening(collective, coordinator, Status.SUBMITTED, title="Waiting one")
    host = collective if member else make_collective("other-collective")
    login(client, make_user(Role.ORGANISER, host, admin_of_collective=True))
    response = client.post(f"/coordination/screenings/{screening.id}/publish")
    assert response.status_code == 403
    assert screening.status == Status.SUBMITTED
    assert screening.published_at is None
    client.post("/logout")
    assert card_titles(client.get("/")) == []


def test_anonymous_visitors_cannot_publish(client, collective, coordinator):
    screening = make_screening(collective, coordinator, Status.SUBMITTED)
    response = client.post(f"/coordination/screenings/{screening.id}/publish")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert screening.status == Status.SUBMITTED


@pytest.mark.parametrize("status", [Status.DRAFT, Status.PUBLISHED, Status.HELD])
def test_only_a_submitted_screening_can_be_published(coordinator_client, collective,
                                                     coordinator, status):
    screening = make_screening(collective, coordinator, status, title="Not waiting")
    before = (screening.status, screening.published_at, screening.version_id)
    response = coordinator_client.post(f"/coordination/screenings/{screening.id}/publish",
                                       follow_redirects=True)
    assert response.status_code == 200
    assert "Only a submitted screening can be published." in page(response)
    assert (screening.status, screening.published_at, screening.version_id) == before


def test_publishing_a_draft_keeps_it_off_the_public_list(client, collective, coordinator):
    screening = make_screening(collective, coordinator, Status.DRAFT, title="Draft one")
    login(client, coordinator)
    client.post(f"/coordination/screenings/{screening.id}/publish")
    client.post("/logout")
    assert card_titles(client.get("/")) == []
    assert client.get(f"/screenings/{screening.id}").status_code == 404


def test_publishing_a_missing_screening_is_404(coordinator_client):
    assert coordinator_client.post("/coordination/screenings/999999/publish").status_code == 404


def test_publish_is_post_only(coordinator_client, collective, coordinator):
    screening = make_screening(collective, coordinator, Status.SUBMITTED)
    response = coordinator_client.get(f"/coordination/screenings/{screening.id}/publish")
    assert response.status_code == 405
    assert db.session.get(Screening, screening.id).status == Status.SUBMITTED
