"""The public money figures: /transparency (only public fundraisers on public screenings,
aggregates only) and raised-against-goal on a screening's public page."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import City, ExchangeRate, Role, Status
from app.services import cities, ledger, public_money
from app.services.ledger import progress
from app.templating import format_money
from tests.conftest import make_collective, make_screening, make_user
from tests.helpers import page, visible_text

DAY = date.today() - timedelta(days=20)
SECRET_VENUE, SECRET_ADDRESS = "Hidden Cellar Club", "Kellarikatu 13 B"


def local(day: date, hour: int = 19) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0)


@pytest.fixture(autouse=True)
def known_cities():
    """Helsinki and Warsaw already known, so that no test searches the whole gazetteer."""
    db.session.add_all([
        City(name="Helsinki", country=cities.ensure_country("FI"), lat=60.16952,
             lon=24.93545, timezone="Europe/Helsinki", geonames_id=658225),
        City(name="Warsaw", country=cities.ensure_country("PL"), lat=52.22977, lon=21.01178,
             timezone="Europe/Warsaw", geonames_id=756135),
    ])
    db.session.commit()


@pytest.fixture
def coordinator():
    return make_user(Role.COORDINATOR)


@pytest.fixture
def collective(catalogue):
    return make_collective("kino-kollektiv")


def screening(collective, coordinator, status=Status.HELD, public=True, **changes):
    changes.setdefault("starts_at", local(DAY))
    changes.setdefault("venue_name", SECRET_VENUE)
    changes.setdefault("venue_address", SECRET_ADDRESS)
    item = make_screening(collective, coordinator, status, **changes)
    item.fundraiser.totals_public = public
    db.session.commit()
    return item


def give(item, coordinator, amount: str, currency: str = "EUR", days: int = 1, **kwargs):
    kwargs.setdefault("channel", "door")
    ledger.record_contribution(item.fundraiser, coordinator, amount=amount, currency=currency,
                               received_on=DAY + timedelta(days=days), **kwargs)
    db.session.commit()


def rows_of(response) -> dict[str, str]:
    """Each table row's visible text, keyed by its row header's first line."""
    html = page(response)
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
        header = re.search(r'<th scope="row">\s*([^<]*?)\s*<', row)
        if header:
            found[header.group(1)] = text
    return found


# --- /transparency ------------------------------------------------------------------------------


@pytest.fixture
def tour(collective, coordinator):
    """Counted: a held and a published screening with public totals. Never counted: private
    totals, a draft, a submitted screening, pledges."""
    db.session.add(ExchangeRate(currency="PLN", valid_on=date(2020, 1, 1), per_base=4))
    db.session.commit()
    held = screening(collective, coordinator, title="Counted night")
    give(held, coordinator, "100.00")
    give(held, coordinator, "40.00", "PLN", state="transferred")  # 10.00 EUR
    give(held, coordinator, "999.00", state="pledged", days=2)
    warsaw = screening(collective, coordinator, Status.PUBLISHED, city="Warsaw",
                       country="PL", title="Warsaw night")
    give(warsaw, coordinator, "50.00", state="confirmed")
    give(warsaw, coordinator, "300.00", "UAH")  # no rate: unconverted
    private = screening(collective, coordinator, public=False, title="Private night")
    give(private, coordinator, "777.00")
    for status, amount in ((Status.DRAFT, "888.00"), (Status.SUBMITTED, "666.00")):
        hidden = screening(collective, coordinator, status, title=f"{status} night")
        give(hidden, coordinator, amount)
    return held, warsaw


def test_transparency_counts_only_public_fundraisers_on_public_screenings(client, tour):
    response = client.get("/transparency")
    assert response.status_code == 200
    text = visible_text(response)
    assert "€160.00" in text  # 100 + 10 (PLN 40) + 50
    assert "€60.00 of it has already reached the beneficiaries" in text
    assert "4 contributions from 2 screenings" in text
    for hidden in ("777", "888", "666", "999", "Private night", "draft night"):
        assert hidden not in page(response), hidden


def test_transparency_figures_equal_the_service(client, tour):
    summary = public_money.public_summary()
    public = ledger.totals(ledger.Filters(public_only=True))
    assert summary.totals == public
    assert (public.base_amount_minor, public.count, public.unconverted) == (16000, 4, 1)
    text = visible_text(client.get("/transparency"))
    assert format_money(public.base_amount_minor, "EUR") in text
    rows = rows_of(client.get("/transparency"))
    for groups in (summary.by_beneficiary, summary.by_film, summary.by_country):
        assert groups
        for g in groups:
            assert format_money(g.raised_minor, "EUR") in rows[g.label]
            assert format_money(g.reached_minor, "EUR") in rows[g.label]
    assert rows["Finland"] == "Finland 2 contributions €110.00 €10.00"
    assert rows["Poland"] == "Poland 2 contributions, 1 not converted €50.00 €50.00"
    assert rows["Solidarity Collectives"].startswith("Solidarity Collectives 4 contributions")


def test_unconverted_money_is_counted_and_explained(client, tour):
    text = visible_text(client.get("/transparency"))
    assert "1 contribution not converted yet (UAH)" in text
    assert "not included in the EUR figures" in text
    assert "UAH300.00" in text  # its native subtotal is still shown


def test_how_figures_are_made_is_explained(client, tour):
    text = visible_text(client.get("/transparency"))
    assert "converted to EUR at the exchange rate valid on the day it was received" in text
    assert "pledges" in text and "not counted" in text
    assert "make their totals public" in text


def test_transparency_without_money(client, collective, coordinator):
    item = screening(collective, coordinator, public=False)
    give(item, coordinator, "12.00")
    text = visible_text(client.get("/transparency"))
    assert "No money has been recorded for a public fundraiser yet." in text
    assert "12.00" not in text


def test_transparency_is_light_and_private(client, tour, collective, coordinator):
    public_venue = screening(collective, coordinator, visibility="public",
                             venue_name="Open Hall", venue_address="Avoin katu 1")
    give(public_venue, coordinator, "5.00")
    body = page(client.get("/transparency"))
    assert "<script" not in body
    for secret in (SECRET_VENUE, SECRET_ADDRESS, "Open Hall", "Avoin katu", "Counted night",
                   "door", "bank_transfer"):
        assert secret not in body, secret  # no venues, no screenings, no contribution detail
    assert 'href="/transparency"' in page(client.get("/"))


# --- raised against the goal on the screening page -------------------------------------------


def test_progress_towards_a_goal_in_the_base_currency(client, collective, coordinator):
    item = screening(collective, coordinator, goal_amount="500.00", goal_currency="EUR")
    give(item, coordinator, "120.50")
    give(item, coordinator, "200.00", state="pledged")
    response = client.get(f"/screenings/{item.id}")
    text = visible_text(response)
    assert "Raised so far: €120.50" in text
    assert "Goal: €500.00" in text
    assert "24% of the goal raised" in text
    assert '<progress max="100" value="24"' in page(response)


def test_progress_passes_a_hundred_percent_but_the_bar_stops(client, collective, coordinator):
    item = screening(collective, coordinator, goal_amount="100.00", goal_currency="EUR")
    give(item, coordinator, "130.00")
    response = client.get(f"/screenings/{item.id}")
    assert "130% of the goal raised" in visible_text(response)
    assert '<progress max="100" value="100"' in page(response)


def test_a_goal_in_another_currency_uses_the_rate_of_the_screening_day(
        client, collective, coordinator):
    for valid_on, per_base in ((DAY - timedelta(days=10), "4"), (DAY + timedelta(days=1), "5")):
        db.session.add(ExchangeRate(currency="PLN", valid_on=valid_on,
                                    per_base=Decimal(per_base)))
    db.session.commit()
    item = screening(collective, coordinator, goal_amount="2000.00", goal_currency="PLN")
    give(item, coordinator, "250.00")
    text = visible_text(client.get(f"/screenings/{item.id}"))
    # PLN 2000 at 4 per euro (the rate valid on the screening's day, not the later one).
    assert "Goal: PLN2,000.00 (about €500.00 at the exchange rate of " in text
    assert (DAY - timedelta(days=10)).isoformat() in text
    assert "50% of the goal raised" in text


def test_without_a_rate_both_figures_are_shown_and_not_compared(client, collective, coordinator):
    db.session.add(ExchangeRate(currency="UAH", valid_on=DAY + timedelta(days=5), per_base=45))
    db.session.commit()  # valid only after the screening: not usable for its goal
    item = screening(collective, coordinator, goal_amount="20000.00", goal_currency="UAH")
    give(item, coordinator, "80.00")
    response = client.get(f"/screenings/{item.id}")
    text = visible_text(response)
    assert "Raised so far: €80.00" in text
    assert "Goal: UAH20,000.00" in text
    assert "not compared with the goal" in text
    assert "<progress" not in page(response)
    assert "% of the goal" not in text


def test_private_totals_show_no_amounts_at_all(client, collective, coordinator):
    item = screening(collective, coordinator, public=False, goal_amount="500.00",
                     goal_currency="EUR")
    give(item, coordinator, "120.50")
    body = page(client.get(f"/screenings/{item.id}"))
    assert "Solidarity Collectives" in body  # the fundraiser itself is public
    for amount in ("500", "120.50", "Goal", "Raised", "<progress", "%"):
        assert amount not in body, amount


def test_no_goal_no_progress(client, collective, coordinator):
    item = screening(collective, coordinator, goal_amount="", goal_currency="")
    give(item, coordinator, "10.00")
    response = client.get(f"/screenings/{item.id}")
    assert "Raised so far: €10.00" in visible_text(response)
    assert "Goal" not in page(response) and "<progress" not in page(response)


def test_the_screening_page_keeps_a_private_address_private(client, collective, coordinator):
    item = screening(collective, coordinator, Status.PUBLISHED, goal_amount="500.00",
                     goal_currency="EUR", starts_at=local(date.today() + timedelta(days=9)))
    body = page(client.get(f"/screenings/{item.id}"))
    assert "Goal: €500.00" in body and "0% of the goal raised" in body
    assert SECRET_VENUE not in body and SECRET_ADDRESS not in body


def test_the_page_agrees_with_the_money_dashboard(client, collective, coordinator):
    db.session.add(ExchangeRate(currency="SEK", valid_on=date(2020, 1, 1),
                                per_base=Decimal("11.2")))
    db.session.commit()
    item = screening(collective, coordinator, goal_amount="10000.00", goal_currency="SEK")
    give(item, coordinator, "300.00")
    give(item, coordinator, "1000.00", "SEK")
    mine = public_money.goal_progress(item.fundraiser, ledger.totals_for_fundraiser(
        item.fundraiser.id))
    theirs = progress.goal_progress(ledger.Filters(
        fundraiser_ids=frozenset({item.fundraiser.id}))).items[0]
    assert (mine.goal_base_minor, mine.raised_minor, mine.percent) == (
        theirs.goal_base_minor, theirs.raised_minor, theirs.percent)
    assert mine.percent == 43  # (300 + 89.29) / 892.86
    assert "43% of the goal raised" in visible_text(client.get(f"/screenings/{item.id}"))
