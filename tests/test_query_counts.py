"""Pages run a fixed number of SQL queries whatever the number of rows (no N+1, no queries
from templates); wall-clock time is measured in bench/, never here."""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import ExchangeRate, Role, Screening, Status
from app.services import ledger
from tests.conftest import login, make_collective, make_screening, make_user


@contextmanager
def counted_queries():
    """Count the statements the app sends to the database inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture(autouse=True)
def _pln_rate():
    """Half the contributions are in PLN, converted at this rate."""
    db.session.add(ExchangeRate(currency="PLN", valid_on=date(2020, 1, 1), per_base=4))
    db.session.commit()


def _add_screenings(collective, organiser, how_many: int, start: int, days: int) -> None:
    for n in range(start, start + how_many):
        screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                                   title=f"Night {n:03}", venue_name=f"Hall {n}",
                                   starts_at=_local(days + n))
        ledger.record_contribution(screening.fundraiser, organiser, amount="12.50",
                                   currency="PLN" if n % 2 else "EUR",
                                   received_on=date.today(), channel="door",
                                   state="pledged" if days > 0 else "collected")
        db.session.commit()


def _local(days: int):
    from datetime import UTC, datetime

    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=19, minute=0, second=0, microsecond=0, tzinfo=None)


def _queries_for(client, path: str) -> int:
    with counted_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


@pytest.mark.parametrize(("path", "days"), [("/", 5), ("/past", -400)])
def test_public_lists_cost_the_same_for_two_or_twelve_screenings(client, catalogue, path, days):
    collective = make_collective()
    organiser = make_user(Role.ORGANISER, collective)
    _add_screenings(collective, organiser, 2, 0, days)
    few = _queries_for(client, path)
    _add_screenings(collective, organiser, 10, 2, days)
    assert _queries_for(client, path) == few


@pytest.mark.parametrize(("path", "days", "first"), [
    ("/?country=FI&film=part-one&collective=kino-kollektiv&beneficiary=solidarity-collectives"
     "&from=2000-01-01&to=2100-01-01", 5, 2),
    ("/?near={city}&radius=100&page=2", 5, 22),  # two on the second page, then twenty
    ("/past?city={city}&page=1", -400, 2),
])
def test_filtered_public_lists_cost_the_same_whatever_the_number_of_screenings(
        client, catalogue, path, days, first):
    collective = make_collective()
    organiser = make_user(Role.ORGANISER, collective)
    _add_screenings(collective, organiser, first, 0, days)
    path = path.format(city=db.session.scalar(select(Screening.city_id).limit(1)))
    few = _queries_for(client, path)
    _add_screenings(collective, organiser, 20, first, days)
    assert _queries_for(client, path) == few


def test_the_list_costs_the_same_for_a_logged_in_organiser(client, catalogue):
    collective = make_collective()
    organiser = make_user(Role.ORGANISER, collective)
    login(client, organiser)
    _add_screenings(collective, organiser, 2, 0, 5)
    few = _queries_for(client, "/")
    _add_screenings(collective, organiser, 10, 2, 5)
    assert _queries_for(client, "/") == few


@pytest.mark.parametrize("path", ["/organiser/", "/coordination/"])
def test_working_pages_cost_the_same_for_two_or_twelve_screenings(client, catalogue, path):
    collective = make_collective()
    organiser = make_user(Role.ORGANISER, collective)
    coordinator = make_user(Role.COORDINATOR)
    login(client, coordinator)
    _add_screenings(collective, organiser, 2, 0, 5)
    few = _queries_for(client, path)
    _add_screenings(collective, organiser, 10, 2, 5)
    assert _queries_for(client, path) == few


def _add_money_screenings(collective, organiser, how_many: int, start: int) -> None:
    """Held screenings with goals in three currencies; two in three report money (EUR, PLN
    with a rate, UAH without one; collected or pledged), the rest report nothing."""
    for n in range(start, start + how_many):
        screening = make_screening(collective, actor=organiser, status=Status.HELD,
                                   title=f"Held {n:03}", venue_name=f"Room {n}",
                                   starts_at=_local(-30 - n),
                                   goal_currency=("EUR", "PLN", "UAH")[n % 3])
        if n % 3:
            ledger.record_contribution(screening.fundraiser, organiser, amount="20.00",
                                       currency=("EUR", "PLN", "UAH")[n % 4 % 3],
                                       received_on=date.today() - timedelta(days=n * 9),
                                       channel="door",
                                       state="pledged" if n % 5 == 0 else "collected")
        db.session.commit()


@pytest.mark.parametrize(("path", "as_coordinator"), [
    ("/coordination/money", True),
    ("/coordination/money?country=FI&film=part-one&collective=kino-kollektiv"
     "&from=2020-01-01&page=2", True),
    # Cut months at both ends: month sums, less the days outside, plus co-hosted days.
    ("/coordination/money?from=2020-01-15&to=2099-12-20&collective=kino-kollektiv", True),
    ("/coordination/money?from=2020-01-29&to=2099-12-03", True),  # a few days at each end
    ("/organiser/money", False),
    ("/organiser/money?collective=kino-kollektiv&beneficiary=solidarity-collectives", False),
])
def test_money_dashboards_cost_the_same_for_one_or_twenty_screenings(client, catalogue, path,
                                                                     as_coordinator):
    collective = make_collective()
    organiser = make_user(Role.ORGANISER, collective)
    login(client, make_user(Role.COORDINATOR) if as_coordinator else organiser)
    _add_money_screenings(collective, organiser, 1, 1)
    few = _queries_for(client, path)
    _add_money_screenings(collective, organiser, 20, 2)
    assert _queries_for(client, path) == few


def test_transparency_costs_the_same_for_two_or_twelve_screenings(client, catalogue):
    collective = make_collective()
    organiser = make_user(Role.ORGANISER, collective)
    _add_screenings(collective, organiser, 2, 0, -400)
    few = _queries_for(client, "/transparency")
    _add_screenings(collective, organiser, 10, 2, -400)
    assert _queries_for(client, "/transparency") == few


@pytest.mark.parametrize("path", ["/coordination/money/export/contributions.csv",
                                  "/coordination/money/export/collective.csv",
                                  "/organiser/money/export/contributions.csv"])
def test_exports_cost_the_same_for_two_or_twelve_screenings(client, catalogue, path):
    collective = make_collective()
    organiser = make_user(Role.ORGANISER, collective)
    login(client, make_user(Role.COORDINATOR) if path.startswith("/coordination") else organiser)
    counts, sizes = [], []
    for start, how_many in ((0, 2), (2, 10)):
        _add_screenings(collective, organiser, how_many, start, -400)
        with counted_queries() as statements:
            response = client.get(path + "?from=2000-01-01")
            body = response.get_data()  # a streamed file queries while it is read
        assert response.status_code == 200, path
        counts.append(len(statements))
        sizes.append(body.count(b"\r\n"))
    assert counts[0] == counts[1]
    if "contributions" in path:
        assert (sizes[0], sizes[1]) == (3, 13)  # the header and a row per contribution


@pytest.mark.parametrize(("path", "marker"), [
    ("/feeds/screenings.ics", b"BEGIN:VEVENT"),
    ("/feeds/screenings.ics?country=FI&collective=kino-kollektiv&film=part-one", b"BEGIN:VEVENT"),
    ("/feeds/screenings.atom", b"<entry>"),
    ("/feeds/screenings.atom?beneficiary=solidarity-collectives", b"<entry>"),
])
def test_feeds_cost_the_same_for_two_or_twelve_screenings(client, catalogue, path, marker):
    collective = make_collective()
    organiser = make_user(Role.ORGANISER, collective)
    counts, sizes = [], []
    for start, how_many in ((0, 2), (2, 10)):
        _add_screenings(collective, organiser, how_many, start, 5)
        with counted_queries() as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        counts.append(len(statements))
        sizes.append(response.data.count(marker))
    assert counts[0] == counts[1]
    assert sizes == [2, 12]
